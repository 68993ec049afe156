package org.fusedbert.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors file format (as Hugging Face's {@code safetensors} reads it): an 8-byte
 * little-endian unsigned header length N, N bytes of JSON mapping each tensor name to
 * {@code {"dtype", "shape", "data_offsets": [begin, end]}} (offsets relative to the data that
 * follows the header) plus an optional {@code "__metadata__"} map of strings, then the raw
 * little-endian tensor bytes, contiguous and in order. The header is padded with spaces to a
 * multiple of 8 bytes so that the data stays aligned.
 */
public final class SafeTensors {
    /** Refuses headers larger than this (the format's own reader limit is 100 MB). */
    static final long MAX_HEADER_BYTES = 100L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafeTensors() {
    }

    /** One tensor's data, float32 ({@code F32}) or int32 ({@code I32}), with its shape. */
    public record Entry(String dtype, int[] shape, float[] floats, int[] ints) {
        public Entry {
            long n = 1;
            for (int d : shape) {
                n *= d;
            }
            long have = floats != null ? floats.length : ints.length;
            if (have != n) {
                throw new IllegalArgumentException("SafeTensors.Entry: data expected " + n + " elements for shape "
                        + Arrays.toString(shape) + " but was " + have);
            }
        }

        public static Entry of(float[] data, int... shape) {
            return new Entry("F32", shape, data, null);
        }

        public static Entry of(int[] data, int... shape) {
            return new Entry("I32", shape, null, data);
        }

        long byteSize() {
            return 4L * (floats != null ? floats.length : ints.length);
        }
    }

    /** The whole content of a file: tensors in file order and the metadata. */
    public record Contents(Map<String, Entry> tensors, Map<String, String> metadata) {
        /** The tensor {@code name}, or an error naming {@code file}. */
        public Entry require(String name, Path file) {
            Entry e = tensors.get(name);
            if (e == null) {
                throw new IllegalArgumentException(file + ": tensor " + name + " expected but missing");
            }
            return e;
        }
    }

    /** Writes {@code tensors} (in iteration order) and {@code metadata} to {@code file} atomically. */
    public static void write(Path file, Map<String, Entry> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Entry> t : tensors.entrySet()) {
            if (t.getKey().equals("__metadata__")) {
                throw new IllegalArgumentException("SafeTensors.write: tensor name expected not __metadata__");
            }
            ObjectNode node = header.putObject(t.getKey());
            node.put("dtype", t.getValue().dtype());
            ArrayNode shape = node.putArray("shape");
            for (int d : t.getValue().shape()) {
                shape.add(d);
            }
            ArrayNode offsets = node.putArray("data_offsets");
            offsets.add(offset);
            offset += t.getValue().byteSize();
            offsets.add(offset);
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');
        AtomicFiles.write(file, out -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(headerBytes);
            ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (Entry e : tensors.values()) {
                int n = e.floats() != null ? e.floats().length : e.ints().length;
                for (int i = 0; i < n; i++) {
                    if (chunk.remaining() < 4) {
                        out.write(chunk.array(), 0, chunk.position());
                        chunk.clear();
                    }
                    if (e.floats() != null) {
                        chunk.putFloat(e.floats()[i]);
                    } else {
                        chunk.putInt(e.ints()[i]);
                    }
                }
            }
            out.write(chunk.array(), 0, chunk.position());
        });
    }

    /**
     * Reads and validates a whole file.
     *
     * @throws IllegalArgumentException naming the file and what is wrong: truncated, a header that
     *         is not the format's JSON, an unsupported dtype, offsets that do not match the shapes
     *         or do not tile the data exactly
     */
    public static Contents read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw bad(file, "truncated: " + size + " bytes, expected at least the 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen < 2 || headerLen > MAX_HEADER_BYTES) {
                throw bad(file, "header length expected in [2, " + MAX_HEADER_BYTES + "] but was " + headerLen);
            }
            if (8 + headerLen > size) {
                throw bad(file, "truncated: header of " + headerLen + " bytes but the file has only " + size);
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(ch, hb, 8);
            JsonNode header;
            try {
                header = JSON.readTree(new String(hb.array(), StandardCharsets.UTF_8).strip());
            } catch (IOException e) {
                throw bad(file, "header is not JSON");
            }
            if (header == null || !header.isObject()) {
                throw bad(file, "header expected a JSON object");
            }
            long dataLen = size - 8 - headerLen;
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, long[]> offsets = new LinkedHashMap<>();
            Map<String, String> dtypes = new LinkedHashMap<>();
            Map<String, int[]> shapes = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                if (f.getKey().equals("__metadata__")) {
                    f.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                parseEntry(file, f.getKey(), f.getValue(), dataLen, offsets, dtypes, shapes);
            }
            checkTiling(file, offsets, dataLen);
            Map<String, Entry> tensors = new LinkedHashMap<>();
            for (String name : offsets.keySet()) {
                long[] o = offsets.get(name);
                int n = Math.toIntExact((o[1] - o[0]) / 4);
                ByteBuffer data = ByteBuffer.allocate(Math.toIntExact(o[1] - o[0])).order(ByteOrder.LITTLE_ENDIAN);
                readFully(ch, data, 8 + headerLen + o[0]);
                data.flip();
                if (dtypes.get(name).equals("F32")) {
                    float[] f = new float[n];
                    data.asFloatBuffer().get(f);
                    tensors.put(name, Entry.of(f, shapes.get(name)));
                } else {
                    int[] v = new int[n];
                    data.asIntBuffer().get(v);
                    tensors.put(name, Entry.of(v, shapes.get(name)));
                }
            }
            return new Contents(Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such file");
        }
    }

    private static void parseEntry(Path file, String name, JsonNode node, long dataLen, Map<String, long[]> offsets,
                                   Map<String, String> dtypes, Map<String, int[]> shapes) {
        JsonNode dtype = node.get("dtype");
        JsonNode shape = node.get("shape");
        JsonNode off = node.get("data_offsets");
        if (dtype == null || shape == null || off == null || !shape.isArray() || !off.isArray() || off.size() != 2) {
            throw bad(file, "tensor " + name + " expected dtype, shape and two data_offsets");
        }
        if (!dtype.asText().equals("F32") && !dtype.asText().equals("I32")) {
            throw bad(file, "tensor " + name + " dtype expected F32 or I32 but was " + dtype.asText());
        }
        int[] dims = new int[shape.size()];
        long numel = 1;
        for (int i = 0; i < dims.length; i++) {
            long d = shape.get(i).asLong(-1);
            if (d < 0 || d > Integer.MAX_VALUE) {
                throw bad(file, "tensor " + name + " shape expected non-negative ints but was " + shape);
            }
            dims[i] = (int) d;
            numel *= d;
        }
        long begin = off.get(0).asLong(-1);
        long end = off.get(1).asLong(-1);
        if (begin < 0 || end < begin || end - begin != numel * 4) {
            throw bad(file, "tensor " + name + " data_offsets expected " + numel * 4 + " bytes for shape "
                    + Arrays.toString(dims) + " but were [" + begin + ", " + end + "]");
        }
        if (end > dataLen) {
            throw bad(file, "truncated: tensor " + name + " ends at byte " + end + " of the data but the data has "
                    + dataLen);
        }
        offsets.put(name, new long[] {begin, end});
        dtypes.put(name, dtype.asText());
        shapes.put(name, dims);
    }

    /** The format requires the tensors to cover the data exactly, without gaps or overlaps. */
    private static void checkTiling(Path file, Map<String, long[]> offsets, long dataLen) {
        long[][] sorted = offsets.values().toArray(new long[0][]);
        Arrays.sort(sorted, (a, b) -> Long.compare(a[0], b[0]));
        long expected = 0;
        for (long[] o : sorted) {
            if (o[0] != expected) {
                throw bad(file, "tensor data expected to start at byte " + expected + " but starts at " + o[0]);
            }
            expected = o[1];
        }
        if (expected != dataLen) {
            throw bad(file, "data expected " + expected + " bytes after the header but has " + dataLen);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }

    private static IllegalArgumentException bad(Path file, String what) {
        return new IllegalArgumentException(file + ": not a valid safetensors file: " + what);
    }
}
