package org.fusedbert.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    private static Map<String, SafeTensors.Entry> sample() {
        Map<String, SafeTensors.Entry> t = new LinkedHashMap<>();
        t.put("a.weight", SafeTensors.Entry.of(new float[] {1.5f, -2f, 3.25f, 0f, Float.MIN_VALUE, -0f}, 2, 3));
        t.put("b.bias", SafeTensors.Entry.of(new float[] {7f}, 1));
        t.put("c.step", SafeTensors.Entry.of(new int[] {-1, 123456789, 5}, 3));
        return t;
    }

    /** Parses the file by the format's definition, without SafeTensors.read. */
    @Test
    void fileFollowsTheFormatByteForByte(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("m.safetensors");
        SafeTensors.write(f, sample(), Map.of("format", "pt"));
        byte[] bytes = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8, "header padded to 8 bytes");
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        assertEquals('{', header.charAt(0));
        assertTrue(header.endsWith("}") || header.stripTrailing().endsWith("}"));
        JsonNode json = new ObjectMapper().readTree(header);
        assertEquals("pt", json.get("__metadata__").get("format").asText());
        int dataStart = 8 + (int) n;
        assertEquals(dataStart + 24 + 4 + 12, bytes.length);

        JsonNode a = json.get("a.weight");
        assertEquals("F32", a.get("dtype").asText());
        assertEquals("[2,3]", a.get("shape").toString());
        assertEquals("[0,24]", a.get("data_offsets").toString());
        ByteBuffer data = ByteBuffer.wrap(bytes, dataStart, bytes.length - dataStart).slice().order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(1.5f, data.getFloat(0));
        assertEquals(Float.floatToRawIntBits(-0f), data.getInt(20));
        // Little-endian on disk: 1.5f = 0x3FC00000.
        assertEquals(0x00, bytes[dataStart]);
        assertEquals((byte) 0x3F, bytes[dataStart + 3]);

        JsonNode b = json.get("b.bias");
        assertEquals("[24,28]", b.get("data_offsets").toString());
        assertEquals(7f, data.getFloat(24));
        JsonNode c = json.get("c.step");
        assertEquals("I32", c.get("dtype").asText());
        assertEquals("[28,40]", c.get("data_offsets").toString());
        assertEquals(123456789, data.getInt(32));
        assertEquals(0, Files.list(dir).filter(p -> p.toString().endsWith(".tmp")).count(), "no temporary left");
    }

    @Test
    void readsBackWhatItWrote(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("m.safetensors");
        SafeTensors.write(f, sample(), Map.of("k", "v"));
        SafeTensors.Contents c = SafeTensors.read(f);
        assertEquals(Map.of("k", "v"), c.metadata());
        assertEquals(Arrays.asList("a.weight", "b.bias", "c.step"), c.tensors().keySet().stream().toList());
        assertArrayEquals(sample().get("a.weight").floats(), c.tensors().get("a.weight").floats());
        assertArrayEquals(new int[] {2, 3}, c.tensors().get("a.weight").shape());
        assertArrayEquals(new int[] {-1, 123456789, 5}, c.tensors().get("c.step").ints());
    }

    @Test
    void truncatedOrCorruptFilesAreOneLineErrorsNamingTheFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("m.safetensors");
        SafeTensors.write(f, sample(), Map.of());
        byte[] bytes = Files.readAllBytes(f);

        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length - 5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.read(cut));
        assertTrue(e.getMessage().startsWith(cut.toString()) && e.getMessage().contains("truncated"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));

        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, Arrays.copyOf(bytes, 5));
        e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.read(tiny));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());

        Path headerCut = dir.resolve("header.safetensors");
        Files.write(headerCut, Arrays.copyOf(bytes, 20));
        e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.read(headerCut));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());

        Path extra = dir.resolve("extra.safetensors");
        Files.write(extra, Arrays.copyOf(bytes, bytes.length + 4));
        e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.read(extra));
        assertTrue(e.getMessage().contains("data expected 40 bytes after the header but has 44"), e.getMessage());

        Path text = dir.resolve("text.safetensors");
        Files.writeString(text, "hello, this is not a checkpoint at all");
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.read(text));

        e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.read(dir.resolve("missing.safetensors")));
        assertTrue(e.getMessage().endsWith("no such file"), e.getMessage());
    }
}
