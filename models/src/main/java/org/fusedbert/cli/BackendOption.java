package org.fusedbert.cli;

import java.util.function.Consumer;
import org.fusedbert.api.Backend;
import org.fusedbert.device.Backends;
import org.fusedbert.device.DeviceBackend;
import org.fusedbert.device.GemmPrecision;
import org.fusedbert.model.CapturingStepRunner;
import org.fusedbert.model.Trainer;
import picocli.CommandLine.Option;

/** {@code --backend}, {@code --precision}, {@code --graphs}: which engine runs the model and how ({@code @Mixin}). */
public final class BackendOption {
    @Option(names = "--backend", paramLabel = "NAME", defaultValue = "auto",
            description = "cpu, sim, cuda, jcuda or auto (the best available) (default: ${DEFAULT-VALUE})")
    String name = "auto";

    @Option(names = "--precision", paramLabel = "P", defaultValue = "tf32",
            description = "GEMM precision on a GPU: tf32 (tensor cores) or fp32 (default: ${DEFAULT-VALUE}); "
                    + "the CPU and the simulator always compute in fp32")
    String precision = "tf32";

    @Option(names = "--graphs", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "on a device, capture each kind of training step once and replay it (default: on)")
    boolean graphs = true;

    /**
     * Opens the backend (through {@link Backends#open}); a fallback of {@code auto} to the CPU is
     * said through {@code notices}.
     *
     * @throws IllegalArgumentException or {@link Backends.BackendUnavailableException}: one line
     *         when the name is unknown or that backend cannot open here
     */
    public Backend open(Consumer<String> notices) {
        return Backends.open(name, GemmPrecision.parse(precision), notices);
    }

    /**
     * How training steps are issued on {@code backend}: through captured graphs on a device (unless
     * {@code --no-graphs}), directly on the CPU. Close it when the run ends.
     */
    Trainer.StepRunner runner(Backend backend) {
        if (graphs && backend instanceof DeviceBackend device) {
            return new CapturingStepRunner(device.device()::capture);
        }
        return Trainer.StepRunner.EAGER;
    }

    /** The hardware {@code backend} runs on, for reports. */
    String describe(Backend backend) {
        if (backend instanceof DeviceBackend device) {
            return device.device().description();
        }
        return "CPU, " + Runtime.getRuntime().availableProcessors() + " cores (" + System.getProperty("os.arch") + ")";
    }
}
