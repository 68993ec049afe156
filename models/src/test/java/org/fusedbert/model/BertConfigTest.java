package org.fusedbert.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BertConfigTest {
    @Test
    void seedDefaults() {
        BertConfig c = BertConfig.SEED;
        assertEquals(30_000, c.vocabSize());
        assertEquals(256, c.maxLen());
        assertEquals(128, c.hidden());
        assertEquals(8, c.heads());
        assertEquals(16, c.headDim());
        assertEquals(128, c.ffDim());
        assertEquals(1, c.layers());
        assertEquals(0.1f, c.dropout());
        assertEquals(1e-6f, c.layerNormEps());
        assertEquals(32, c.batchSize());
        assertEquals(1e-3f, c.learningRate());
        assertEquals(64, c.classifierHidden());
        assertFalse(c.attendPadding());
        assertEquals(29_999, c.maskId());
    }

    @Test
    void jsonRoundTripKeepsEveryField(@TempDir Path dir) throws Exception {
        BertConfig c = new BertConfig(1234, 77, 36, 3, 50, 2, 0.25f, 1e-5f, 7, 3e-4f, 11, true);
        assertEquals(c, BertConfig.fromJson(c.toJson(), "test"));
        Path f = dir.resolve("config.json");
        c.write(f);
        assertEquals(c, BertConfig.read(f));
        assertTrue(Files.readString(f).contains("\"attendPadding\" : true"));
    }

    @Test
    void rejectsInconsistentShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BertConfig.SEED.toBuilder().hidden(100).build());
        assertEquals("BertConfig: heads expected a divisor of hidden 100 but was 8", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BertConfig.SEED.toBuilder().dropout(1f).build());
        assertThrows(IllegalArgumentException.class, () -> BertConfig.SEED.toBuilder().vocabSize(3).build());
    }

    @Test
    void jsonWithMissingOrUnknownFieldsIsAOneLineError() {
        String missing = BertConfig.SEED.toJson().replaceAll("\"hidden\" : 128,", "");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BertConfig.fromJson(missing, "x.json"));
        assertEquals("x.json: not a BERT configuration: the field \"hidden\" is missing", e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        var malformed = assertThrows(IllegalArgumentException.class, () -> BertConfig.fromJson("{\n  \"hidden\" : ,", "x.json"));
        assertTrue(malformed.getMessage().startsWith("x.json: not a BERT configuration: malformed JSON at line 2, column "),
                malformed.getMessage());
        String unknown = BertConfig.SEED.toJson().replace("{", "{ \"colour\" : 3,");
        assertThrows(IllegalArgumentException.class, () -> BertConfig.fromJson(unknown, "x.json"));
        assertThrows(IllegalArgumentException.class, () -> BertConfig.fromJson("not json", "x.json"));
        assertEquals("x.json: not a BERT configuration: expected a JSON object with the configuration's fields",
                assertThrows(IllegalArgumentException.class, () -> BertConfig.fromJson("[]", "x.json")).getMessage());
        String invalid = BertConfig.SEED.toJson().replace("\"heads\" : 8", "\"heads\" : 7");
        e = assertThrows(IllegalArgumentException.class, () -> BertConfig.fromJson(invalid, "x.json"));
        assertTrue(e.getMessage().contains("heads expected a divisor of hidden 128 but was 7"), e.getMessage());
    }
}
