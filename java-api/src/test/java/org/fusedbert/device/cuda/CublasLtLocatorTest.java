package org.fusedbert.device.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CublasLtLocatorTest {
    @TempDir
    Path tmp;

    private Path touch(String relative) throws IOException {
        Path p = tmp.resolve(relative);
        Files.createDirectories(p.getParent());
        return Files.createFile(p);
    }

    private static List<String> targets(List<CublasLtLocator.Candidate> candidates) {
        return candidates.stream().map(CublasLtLocator.Candidate::target).toList();
    }

    @Test
    void anOverrideFileIsTheOnlyCandidate() throws IOException {
        Path lib = touch("custom/libcublasLt.so.13.0.1");
        List<CublasLtLocator.Candidate> c = CublasLtLocator.candidates(
                Map.of(CublasLtLocator.ENV, lib.toString()), tmp, 13000);
        assertEquals(List.of(lib.toString()), targets(c));
        assertEquals(CublasLtLocator.ENV, c.get(0).origin());
    }

    @Test
    void anOverrideFolderIsSearchedForTheSonamesTheDriverSupports() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("libs"));
        assertEquals(List.of(dir + "/libcublasLt.so.12", dir + "/libcublasLt.so"),
                targets(CublasLtLocator.candidates(Map.of(CublasLtLocator.ENV, dir.toString()), tmp, 12040)));
        assertEquals(List.of(dir + "/libcublasLt.so.13", dir + "/libcublasLt.so.12", dir + "/libcublasLt.so"),
                targets(CublasLtLocator.candidates(Map.of(CublasLtLocator.ENV, dir.toString()), tmp, 13000)));
    }

    @Test
    void pythonWheelsInAVirtualenvFollowTheLibraryPathBestSonameFirst() throws IOException {
        Path cu13 = touch("venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcublasLt.so.13");
        Path cu12 = touch("venv/lib/python3.12/site-packages/nvidia/cublas/lib/libcublasLt.so.12");
        Map<String, String> env = Map.of("VIRTUAL_ENV", tmp.resolve("venv").toString(), "PATH", "");
        List<String> got = targets(CublasLtLocator.candidates(env, tmp.resolve("nohome"), 13000));
        int lp13 = got.indexOf("libcublasLt.so.13"), lp12 = got.indexOf("libcublasLt.so.12");
        int w13 = got.indexOf(cu13.toString()), w12 = got.indexOf(cu12.toString());
        assertEquals(0, lp13);
        assertEquals(1, lp12);
        assertEquals(true, w13 > lp12 && w12 > w13, "wheels after the library path, .13 first: " + got);
        // A CUDA 12 driver cannot run cuBLASLt 13: it is not even tried.
        List<String> old = targets(CublasLtLocator.candidates(env, tmp.resolve("nohome"), 12040));
        assertEquals(false, old.contains(cu13.toString()) || old.contains("libcublasLt.so.13"), old.toString());
        assertEquals(true, old.contains(cu12.toString()), old.toString());
    }

    @Test
    void thePython3OnThePathLeadsToItsPrefixAndTheUserSiteIsSearched() throws IOException {
        Path python = touch("conda/bin/python3");
        python.toFile().setExecutable(true);
        Path torchLib = touch("conda/lib/python3.11/site-packages/torch/lib/libcublasLt.so.12");
        Path userWheel = touch("home/.local/lib/python3.11/site-packages/nvidia/cublas/lib/libcublasLt.so.12");
        Map<String, String> env = Map.of("PATH", tmp.resolve("conda/bin").toString());
        List<String> got = targets(CublasLtLocator.candidates(env, tmp.resolve("home"), 12040));
        assertEquals(true, got.contains(torchLib.toString()) && got.contains(userWheel.toString()), got.toString());
    }

    @Test
    void theToolkitFolderFromCudaHomeIsSearched() throws IOException {
        Path lib = touch("cuda-13.0/lib64/libcublasLt.so.13");
        List<String> got = targets(CublasLtLocator.candidates(
                Map.of("CUDA_HOME", tmp.resolve("cuda-13.0").toString(), "PATH", ""), tmp, 13000));
        assertEquals(true, got.contains(lib.toString()), got.toString());
    }
}
