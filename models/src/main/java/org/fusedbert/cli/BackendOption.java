package org.fusedbert.cli;

import java.util.List;
import java.util.Locale;
import org.fusedbert.api.Backend;
import org.fusedbert.cpu.CpuBackend;
import org.fusedbert.device.GemmPrecision;
import org.fusedbert.model.Trainer;
import picocli.CommandLine.Option;

/** {@code --backend}: which engine runs the model ({@code @Mixin BackendOption backend;}). */
public final class BackendOption {
    /** The names {@code --backend} accepts. */
    static final List<String> NAMES = List.of("cpu", "sim", "cuda", "jcuda", "auto");

    @Option(names = "--backend", paramLabel = "NAME", defaultValue = "auto",
            description = "cpu, sim, cuda, jcuda or auto (the best available) (default: ${DEFAULT-VALUE})")
    String name = "auto";

    @Option(names = "--precision", paramLabel = "P", defaultValue = "tf32",
            description = "GEMM precision on a GPU: tf32 (tensor cores) or fp32 (default: ${DEFAULT-VALUE}); "
                    + "the CPU and the simulator always compute in fp32")
    String precision = "tf32";

    /** The name asked for, lower-cased. */
    String requested() {
        return name.toLowerCase(Locale.ROOT);
    }

    /** How steps are issued on {@code backend}: directly (the CPU has no graphs to capture). */
    Trainer.StepRunner runner(Backend backend) {
        return Trainer.StepRunner.EAGER;
    }

    /** The hardware {@code backend} runs on, for reports. */
    String describe(Backend backend) {
        return backend.name().equals("cpu")
                ? "CPU, " + Runtime.getRuntime().availableProcessors() + " cores (" + System.getProperty("os.arch") + ")"
                : backend.name();
    }

    /**
     * Opens the backend.
     *
     * @throws IllegalArgumentException one line when the name is unknown or that backend is absent
     */
    public Backend open() {
        String n = requested();
        GemmPrecision.parse(precision); // a bad value is an error whatever the backend
        if (!NAMES.contains(n)) {
            throw new IllegalArgumentException("--backend: expected one of " + String.join(", ", NAMES) + " but was " + name);
        }
        return switch (n) {
            case "cpu", "auto" -> new CpuBackend();
            default -> throw new IllegalArgumentException("--backend " + n
                    + ": not available in this build (the device backends are not built yet); use --backend cpu");
        };
    }
}
