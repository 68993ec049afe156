package org.fusedbert.device.cuda;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where cuBLASLt may live, in the order it is tried: the {@value #ENV} override (a file, or a folder
 * holding one), the sonames on the dynamic linker's search path, the CUDA toolkit's lib64 folders,
 * and the NVIDIA Python wheels that PyTorch installs ({@code site-packages/nvidia/cu13/lib} for
 * CUDA 13, {@code nvidia/cublas/lib} for CUDA 12). {@code libcublasLt.so.13} is preferred, and only
 * tried when the driver supports CUDA 13.
 */
public final class CublasLtLocator {
    /** Environment variable naming the cuBLASLt library file (or its folder). */
    public static final String ENV = "FUSEDBERT_CUBLASLT";

    static final String SONAME_13 = "libcublasLt.so.13";
    static final String SONAME_12 = "libcublasLt.so.12";

    private CublasLtLocator() {
    }

    /** One place to try: a soname for the dynamic linker, or a file path, and where it came from. */
    public record Candidate(String target, String origin) {
    }

    /** The sonames to try for a driver supporting CUDA {@code driverVersion} (1000 * major + 10 * minor), best first. */
    static List<String> sonames(int driverVersion) {
        return driverVersion >= 13000 ? List.of(SONAME_13, SONAME_12) : List.of(SONAME_12);
    }

    /**
     * Every candidate, best first.
     *
     * @param env           the process environment (tests pass their own)
     * @param home          the user's home folder
     * @param driverVersion from {@code cuDriverGetVersion}, or 0 when unknown (only .so.12 is then tried)
     */
    public static List<Candidate> candidates(Map<String, String> env, Path home, int driverVersion) {
        List<String> sonames = sonames(driverVersion);
        List<Candidate> out = new ArrayList<>();
        String override = env.get(ENV);
        if (override != null && !override.isBlank()) {
            Path p = Path.of(override);
            if (Files.isDirectory(p)) {
                for (String soname : sonames) {
                    out.add(new Candidate(p.resolve(soname).toString(), ENV + "=" + override));
                }
                out.add(new Candidate(p.resolve("libcublasLt.so").toString(), ENV + "=" + override));
            } else {
                out.add(new Candidate(override, ENV));
            }
            // An explicit override is the only place looked: a wrong one must fail, not be papered over.
            return out;
        }
        for (String soname : sonames) {
            out.add(new Candidate(soname, "the library path"));
        }
        for (Path dir : toolkitLibDirs(env)) {
            for (String soname : sonames) {
                addIfFile(out, dir.resolve(soname), "the CUDA toolkit");
            }
        }
        for (Path site : sitePackages(env, home)) {
            for (String soname : sonames) {
                String major = soname.substring(soname.lastIndexOf('.') + 1);
                addIfFile(out, site.resolve("nvidia/cu" + major + "/lib/" + soname), "a Python wheel");
                addIfFile(out, site.resolve("nvidia/cublas/lib/" + soname), "a Python wheel");
                addIfFile(out, site.resolve("torch/lib/" + soname), "PyTorch");
            }
        }
        return out;
    }

    /** The folders looked in, for the message when nothing is found. */
    public static String searchedDescription(Map<String, String> env, Path home) {
        List<String> dirs = new ArrayList<>();
        for (Path p : toolkitLibDirs(env)) {
            dirs.add(p.toString());
        }
        for (Path p : sitePackages(env, home)) {
            dirs.add(p + "/nvidia/{cu13,cublas}/lib");
        }
        return "the library path" + (dirs.isEmpty() ? "" : ", " + String.join(", ", dirs));
    }

    private static void addIfFile(List<Candidate> out, Path file, String origin) {
        if (Files.isRegularFile(file)) {
            out.add(new Candidate(file.toString(), origin + " (" + file.getParent() + ")"));
        }
    }

    /** {@code $CUDA_HOME/lib64}, {@code /usr/local/cuda/lib64} and versioned siblings. */
    static List<Path> toolkitLibDirs(Map<String, String> env) {
        Set<Path> dirs = new LinkedHashSet<>();
        for (String var : List.of("CUDA_HOME", "CUDA_PATH")) {
            String v = env.get(var);
            if (v != null && !v.isBlank()) {
                dirs.add(Path.of(v, "lib64"));
            }
        }
        dirs.add(Path.of("/usr/local/cuda/lib64"));
        dirs.addAll(glob(Path.of("/usr/local"), "cuda-*", "lib64"));
        return existing(dirs);
    }

    /**
     * Python package folders where pip puts the NVIDIA wheels: virtualenv and conda prefixes from
     * the environment, the prefix of the {@code python3} on the PATH, the user site, and the
     * system-wide folders.
     */
    static List<Path> sitePackages(Map<String, String> env, Path home) {
        Set<Path> prefixes = new LinkedHashSet<>();
        for (String var : List.of("VIRTUAL_ENV", "CONDA_PREFIX")) {
            String v = env.get(var);
            if (v != null && !v.isBlank()) {
                prefixes.add(Path.of(v));
            }
        }
        String path = env.getOrDefault("PATH", "");
        for (String entry : path.split(":")) {
            if (entry.isEmpty()) {
                continue;
            }
            Path python = Path.of(entry, "python3");
            if (Files.isExecutable(python)) {
                prefixes.add(Path.of(entry).toAbsolutePath().getParent());
                try {
                    Path real = python.toRealPath();
                    if (real.getParent() != null && real.getParent().getParent() != null) {
                        prefixes.add(real.getParent().getParent());
                    }
                } catch (IOException ignored) {
                    // A dangling python3 link adds nothing.
                }
            }
        }
        prefixes.add(Path.of("/usr/local"));
        prefixes.add(Path.of("/usr"));
        prefixes.add(Path.of("/opt/conda"));
        if (home != null) {
            prefixes.add(home.resolve(".local"));
        }
        Set<Path> sites = new LinkedHashSet<>();
        String pythonPath = env.get("PYTHONPATH");
        if (pythonPath != null) {
            for (String entry : pythonPath.split(":")) {
                if (!entry.isEmpty()) {
                    sites.add(Path.of(entry));
                }
            }
        }
        for (Path prefix : prefixes) {
            if (prefix == null) {
                continue;
            }
            Path lib = prefix.resolve("lib");
            sites.addAll(glob(lib, "python3*", "site-packages"));
            sites.addAll(glob(lib, "python3*", "dist-packages"));
        }
        return existing(sites);
    }

    private static List<Path> glob(Path dir, String pattern, String child) {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, pattern)) {
            for (Path p : stream) {
                out.add(p.resolve(child));
            }
        } catch (IOException ignored) {
            // An unreadable folder holds nothing we can load.
        }
        out.sort(null);
        return out;
    }

    private static List<Path> existing(Set<Path> dirs) {
        List<Path> out = new ArrayList<>();
        for (Path d : dirs) {
            if (Files.isDirectory(d)) {
                out.add(d);
            }
        }
        return out;
    }
}
