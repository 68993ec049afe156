package org.fusedbert.device.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The launch side of the layernorm kernels agrees with the ABI header: every line of
 * {@code FB_LAYERNORM_BACKWARD_GEOMETRY} in {@code native/include/fusedbert/kernels.h} (from which
 * layernorm.cu defines the backward entry points) is a {@link LayerNormKernels.BackwardVariant}, in
 * chunk order, and the variant and grid choices follow the rules the header states.
 */
class LayerNormKernelsTest {
    private static final Path HEADER = Path.of("..", "native", "include", "fusedbert", "kernels.h");
    private static final Pattern LINE = Pattern.compile("X\\((\\d+), (\\d+), (\\d+), (\\d+)\\)");

    @Test
    void backwardGeometryIsTheHeaders() throws IOException {
        String header = Files.readString(HEADER);
        int from = header.indexOf("#define FB_LAYERNORM_BACKWARD_GEOMETRY(X)");
        assertFalse(from < 0, "FB_LAYERNORM_BACKWARD_GEOMETRY not found in " + HEADER.toAbsolutePath());
        int to = header.indexOf("\n\n", from);
        List<LayerNormKernels.BackwardVariant> declared = new ArrayList<>();
        Matcher m = LINE.matcher(header.substring(from, to));
        while (m.find()) {
            declared.add(new LayerNormKernels.BackwardVariant(Integer.parseInt(m.group(1)),
                    Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4))));
        }
        assertEquals(LayerNormKernels.BACKWARD_VARIANTS, declared);
        for (int c = 1; c <= 8; c++) {
            assertEquals(c, LayerNormKernels.BACKWARD_VARIANTS.get(c - 1).chunks(), "variant " + c + "'s chunks");
        }
    }

    @Test
    void chunksAreTheSmallestThatHoldTheRow() {
        assertEquals(1, LayerNormKernels.vectorChunks(4, true));
        assertEquals(1, LayerNormKernels.vectorChunks(128, true));
        assertEquals(2, LayerNormKernels.vectorChunks(132, true));
        assertEquals(6, LayerNormKernels.vectorChunks(768, true));
        assertEquals(8, LayerNormKernels.vectorChunks(1024, true));
        assertEquals(0, LayerNormKernels.vectorChunks(1028, true));
        assertEquals(0, LayerNormKernels.vectorChunks(130, true));
        assertEquals(0, LayerNormKernels.vectorChunks(128, false));
    }

    @Test
    void backwardGridIsOneStepPerWarpUpToWhatTheMultiprocessorsHold() {
        LayerNormKernels.BackwardVariant h128 = LayerNormKernels.BACKWARD_VARIANTS.get(0);  // 4 warps x 4 rows
        assertEquals(1, h128.blocks(1, 132));
        assertEquals(1, h128.blocks(16, 132));
        assertEquals(2, h128.blocks(17, 132));
        assertEquals(512, h128.blocks(8192, 132));
        assertEquals(132 * 4, h128.blocks(1 << 20, 132));
        LayerNormKernels.BackwardVariant h768 = LayerNormKernels.BACKWARD_VARIANTS.get(5);
        assertEquals("fb_layernorm_backward_v4x6", h768.kernel());
        assertEquals(132 * 3, h768.blocks(16384, 132));
        assertEquals(4 * 2 * 768 * Float.BYTES, h768.sharedBytes(768));
    }
}
