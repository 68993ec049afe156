package org.fusedbert.device.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fusedbert.device.Dim3;
import org.junit.jupiter.api.Test;

/**
 * The launch side of the attention kernels agrees with the ABI header: every line of
 * {@code FB_ATTENTION_GEOMETRY} in {@code native/include/fusedbert/kernels.h} (which attention.cu
 * static_asserts its tile shapes against) is a {@link AttentionKernels.Variant}, and nothing else is.
 */
class AttentionKernelsTest {
    private static final Path HEADER = Path.of("..", "native", "include", "fusedbert", "kernels.h");
    private static final Pattern LINE =
            Pattern.compile("X\\((\\w+), (\\d+), (\\d+), (\\d+), (\\d+), (\\d+)\\)");

    @Test
    void geometryIsTheHeaders() throws IOException {
        String header = Files.readString(HEADER);
        int from = header.indexOf("#define FB_ATTENTION_GEOMETRY(X)");
        assertFalse(from < 0, "FB_ATTENTION_GEOMETRY not found in " + HEADER.toAbsolutePath());
        int to = header.indexOf("\n\n", from);
        List<AttentionKernels.Variant> declared = new ArrayList<>();
        Matcher m = LINE.matcher(header.substring(from, to));
        while (m.find()) {
            declared.add(new AttentionKernels.Variant(m.group(1), Integer.parseInt(m.group(2)),
                    Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)),
                    Integer.parseInt(m.group(6))));
        }
        assertEquals(3 * AttentionKernels.HEAD_DIMS.size() + 2 * AttentionKernels.TF32_HEAD_DIMS.size(), declared.size(),
                "kernels in FB_ATTENTION_GEOMETRY");
        assertEquals(declared, AttentionKernels.VARIANTS);
    }

    @Test
    void everyVariantFitsTheSmallestSupportedGpu() {
        int sm80OptInLimit = 163 * 1024;  // sm_80's per-block maximum of dynamic shared memory
        for (AttentionKernels.Variant v : AttentionKernels.VARIANTS) {
            assertTrue(v.sharedBytes() <= sm80OptInLimit, v + " needs more shared memory than sm_80 allows");
            assertTrue(v.threads() <= 1024 && v.threads() % 32 == 0, v + ": threads");
        }
    }

    @Test
    void gridCoversEverySequencePositionOncePerHeadAndSequence() {
        AttentionKernels.Variant v = AttentionKernels.variant("forward", 16);
        assertEquals("fb_attention_forward_d16", v.kernel());
        assertEquals(new Dim3(3, 8, 32), v.grid(32, 257, 8));  // 257 rows need a third block of 128
        assertEquals(2 * 64 * 16 * Float.BYTES, v.sharedBytes());
    }
}
