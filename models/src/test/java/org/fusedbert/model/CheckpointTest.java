package org.fusedbert.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.fusedbert.api.Backend;
import org.fusedbert.cpu.CpuBackend;
import org.fusedbert.data.DataOrigin;
import org.fusedbert.data.TextVectorizer;
import org.fusedbert.model.ParameterLayout.Range;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    private static final BertConfig CONFIG = new BertConfig(9, 5, 6, 2, 7, 1, 0.1f, 1e-6f, 2, 1e-3f, 3, false);

    private static TextVectorizer vocabulary(String... words) {
        List<String> v = new ArrayList<>(List.of("", "[UNK]"));
        v.addAll(Arrays.asList(words));
        v.add("[mask]");
        return TextVectorizer.of(v, CONFIG.maxLen());
    }

    private static final TextVectorizer VOCAB = vocabulary("the", "movie", "was", "good", "bad", "plot");

    @Test
    void roundTripKeepsParametersStageAndTrainerState(@TempDir Path dir) throws Exception {
        try (Backend be = new CpuBackend(); Parameters p = new Parameters(be, CONFIG); Parameters q = new Parameters(be, CONFIG)) {
            p.initialize(8);
            Range range = p.layout().range(ParameterLayout.Phase.PRETRAIN);
            float[] m = new float[(int) range.length()];
            float[] v = new float[m.length];
            Arrays.fill(m, 0.25f);
            v[3] = 7f;
            var state = new Checkpoint.TrainerState(5, 2, 17, 99, 98, 1234L, "data x", range, m, v);
            Checkpoint.save(dir, p, VOCAB, Checkpoint.Stage.PRETRAINED, state);
            try (var files = Files.list(dir)) {
                assertEquals(List.of("config.json", "model.safetensors", "trainer-state.safetensors", "vocabulary.txt"),
                        files.map(f -> f.getFileName().toString()).sorted().toList());
            }
            Checkpoint c = Checkpoint.load(dir);
            assertEquals(CONFIG, c.config());
            assertEquals(Checkpoint.Stage.PRETRAINED, c.stage());
            assertEquals(VOCAB.vocabulary(), c.vectorizer().vocabulary());
            c.loadInto(q);
            assertArrayEquals(p.download(), q.download());
            Checkpoint.TrainerState s = c.trainerState();
            assertEquals(List.of(5, 2, 17, 99, 98), List.of(s.epochs(), s.epoch(), s.stepInEpoch(), s.stepCounter(), s.adamStep()));
            assertEquals(1234L, s.seed());
            assertEquals("data x", s.dataIdentity());
            assertEquals(range, s.range());
            assertArrayEquals(m, s.adamM());
            assertArrayEquals(v, s.adamV());

            // A finished run drops the state.
            Checkpoint.save(dir, p, VOCAB, Checkpoint.Stage.FINETUNED, null);
            assertNull(Checkpoint.load(dir).trainerState());
            assertEquals(Checkpoint.Stage.FINETUNED, Checkpoint.load(dir).stage());
            assertFalse(Files.exists(dir.resolve(Checkpoint.STATE_FILE)));
        }
    }

    @Test
    void companionsFromAnotherRunAreRefused(@TempDir Path dir) throws Exception {
        try (Backend be = new CpuBackend(); Parameters p = new Parameters(be, CONFIG)) {
            p.initialize(1);
            Path a = dir.resolve("a");
            Checkpoint.save(a, p, VOCAB, Checkpoint.Stage.PRETRAINED, null);

            Path otherVocab = dir.resolve("other-vocab");
            Checkpoint.save(otherVocab, p, vocabulary("a", "film", "is", "great", "dull", "cast"),
                    Checkpoint.Stage.PRETRAINED, null);
            Files.copy(otherVocab.resolve(Checkpoint.VOCABULARY_FILE), a.resolve(Checkpoint.VOCABULARY_FILE),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(a));
            assertTrue(e.getMessage().contains("vocabulary expected the one model.safetensors was trained with"), e.getMessage());

            Path b = dir.resolve("b");
            Checkpoint.save(b, p, VOCAB, Checkpoint.Stage.PRETRAINED, null);
            BertConfig wider = CONFIG.toBuilder().hidden(8).build();
            wider.write(b.resolve(Checkpoint.CONFIG_FILE));
            e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(b));
            assertTrue(e.getMessage().contains("configuration expected the one in config.json"), e.getMessage());

            try (Parameters other = new Parameters(be, wider)) {
                Checkpoint ok = Checkpoint.load(dir.resolve("other-vocab"));
                e = assertThrows(IllegalArgumentException.class, () -> ok.loadInto(other));
                assertTrue(e.getMessage().contains("configuration expected"), e.getMessage());
            }
        }
    }

    @Test
    void truncatedOrMissingFilesAreOneLineErrors(@TempDir Path dir) throws Exception {
        try (Backend be = new CpuBackend(); Parameters p = new Parameters(be, CONFIG)) {
            p.initialize(1);
            Checkpoint.save(dir, p, VOCAB, Checkpoint.Stage.PRETRAINED, null);
            Path model = dir.resolve(Checkpoint.MODEL_FILE);
            byte[] bytes = Files.readAllBytes(model);
            Files.write(model, Arrays.copyOf(bytes, bytes.length / 2));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(dir));
            assertTrue(e.getMessage().contains("truncated") && !e.getMessage().contains("\n"), e.getMessage());
            Files.delete(model);
            e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(dir));
            assertTrue(e.getMessage().endsWith("checkpoint expected model.safetensors but it is missing"), e.getMessage());
        }
    }

    @Test
    void theDataRecordIsASmallFileBesideAnUnchangedModelFile(@TempDir Path dir) throws Exception {
        try (Backend be = new CpuBackend(); Parameters p = new Parameters(be, CONFIG)) {
            p.initialize(3);
            DataOrigin data = DataOrigin.synthetic(5, 48);
            Checkpoint.save(dir, p, VOCAB, Checkpoint.Stage.FINETUNED, null, data);
            assertEquals(data.toJson() + "\n", Files.readString(dir.resolve(Checkpoint.DATA_FILE)));
            assertEquals(data, Checkpoint.load(dir).data());
            // The model file carries the same metadata keys as before the record (what Python's safetensors reads).
            assertEquals(List.of("format", "fusedbert.config", "fusedbert.stage", "fusedbert.vocabulary_sha256"),
                    SafeTensors.read(dir.resolve(Checkpoint.MODEL_FILE)).metadata().keySet().stream().sorted().toList());

            // Saved without a record (and so a checkpoint from before records): none, and no stale one.
            Checkpoint.save(dir, p, VOCAB, Checkpoint.Stage.FINETUNED, null);
            assertFalse(Files.exists(dir.resolve(Checkpoint.DATA_FILE)));
            assertNull(Checkpoint.load(dir).data());

            Files.writeString(dir.resolve(Checkpoint.DATA_FILE), "{\"source\":\"tape\"}");
            var e = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(dir));
            assertTrue(e.getMessage().startsWith(dir.resolve(Checkpoint.DATA_FILE) + ": expected source"), e.getMessage());
        }
    }
}
