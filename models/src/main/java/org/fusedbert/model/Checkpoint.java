package org.fusedbert.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fusedbert.data.DataOrigin;
import org.fusedbert.data.TextVectorizer;
import org.fusedbert.model.ParameterLayout.Entry;
import org.fusedbert.model.ParameterLayout.Range;

/**
 * A checkpoint directory: {@value #MODEL_FILE} (every parameter by name, safetensors, readable by
 * Python's {@code safetensors}), {@value #CONFIG_FILE} (the {@link BertConfig}),
 * {@value #VOCABULARY_FILE} (the {@link TextVectorizer}'s tokens), {@value #DATA_FILE} (the
 * {@link DataOrigin} it was trained on; absent in checkpoints from before it was recorded), and
 * while pretraining is unfinished {@value #STATE_FILE} (Adam's moments and where the run stands,
 * for {@code --resume}).
 *
 * <p>Each file is written atomically (temporary file, then rename). The model file's metadata
 * repeats the configuration and the vocabulary's SHA-256, so that a config or vocabulary from
 * another run is detected on load.
 */
public final class Checkpoint {
    public static final String MODEL_FILE = "model.safetensors";
    public static final String CONFIG_FILE = "config.json";
    public static final String VOCABULARY_FILE = "vocabulary.txt";
    public static final String STATE_FILE = "trainer-state.safetensors";
    public static final String DATA_FILE = "data.json";

    /** How far training has got. */
    public enum Stage {
        /** MLM pretraining (finished or not): the encoder and the MLM head are trained. */
        PRETRAINED,
        /** Fine-tuned: the classifier head is trained too. */
        FINETUNED
    }

    /**
     * Where an interrupted pretraining stands, with everything a resumed run needs to continue
     * bit for bit: the optimizer's moments and step, the step counter that keys dropout and
     * masking, the seeds, and the position in the epoch (the data order is a function of the seed).
     *
     * @param dataIdentity names the training examples (their vocabulary and count); a resume on other data is refused
     */
    public record TrainerState(int epochs, int epoch, int stepInEpoch, int stepCounter, int adamStep, long seed,
                               String dataIdentity, Range range, float[] adamM, float[] adamV, double epochLossSum,
                               int epochLossSteps) {
        /** A state without the current epoch's losses (none read yet, or a checkpoint from before they were kept). */
        public TrainerState(int epochs, int epoch, int stepInEpoch, int stepCounter, int adamStep, long seed,
                            String dataIdentity, Range range, float[] adamM, float[] adamV) {
            this(epochs, epoch, stepInEpoch, stepCounter, adamStep, seed, dataIdentity, range, adamM, adamV, 0, 0);
        }
    }

    private final Path dir;
    private final BertConfig config;
    private final TextVectorizer vectorizer;
    private final Stage stage;
    private final float[] flat;
    private final TrainerState state;
    private final DataOrigin data;

    private Checkpoint(Path dir, BertConfig config, TextVectorizer vectorizer, Stage stage, float[] flat,
                       TrainerState state, DataOrigin data) {
        this.dir = dir;
        this.config = config;
        this.vectorizer = vectorizer;
        this.stage = stage;
        this.flat = flat;
        this.state = state;
        this.data = data;
    }

    public Path directory() {
        return dir;
    }

    public BertConfig config() {
        return config;
    }

    public TextVectorizer vectorizer() {
        return vectorizer;
    }

    public Stage stage() {
        return stage;
    }

    /** The unfinished pretraining's state, or null when there is none. */
    public TrainerState trainerState() {
        return state;
    }

    /** The reviews this checkpoint was trained on, or null when it does not say (an older checkpoint). */
    public DataOrigin data() {
        return data;
    }

    /** Copies the parameters into {@code params} (same configuration). */
    public void loadInto(Parameters params) {
        if (!params.config().equals(config)) {
            throw new IllegalArgumentException(dir + ": configuration expected " + params.config() + " but was " + config);
        }
        params.upload(flat);
    }

    /**
     * Writes a checkpoint of {@code params} into {@code dir}; {@code state} is the unfinished
     * pretraining's, or null (then any older state file is removed: the run is complete); the
     * checkpoint records no data (see {@link #save(Path, Parameters, TextVectorizer, Stage, TrainerState, DataOrigin)}).
     */
    public static void save(Path dir, Parameters params, TextVectorizer vectorizer, Stage stage, TrainerState state)
            throws IOException {
        save(dir, params, vectorizer, stage, state, null);
    }

    /**
     * Writes a checkpoint as {@link #save(Path, Parameters, TextVectorizer, Stage, TrainerState)},
     * recording that it was trained on {@code data} (null: no record, and any older one is removed).
     */
    public static void save(Path dir, Parameters params, TextVectorizer vectorizer, Stage stage, TrainerState state,
                            DataOrigin data) throws IOException {
        BertConfig config = params.config();
        if (vectorizer.vocabularySize() != config.vocabSize()) {
            throw new IllegalArgumentException("Checkpoint.save: vocabulary expected " + config.vocabSize()
                    + " tokens but was " + vectorizer.vocabularySize());
        }
        Files.createDirectories(dir);
        float[] values = params.download();
        Map<String, SafeTensors.Entry> tensors = new LinkedHashMap<>();
        for (Entry e : params.layout().entries()) {
            int from = Math.toIntExact(e.offset());
            tensors.put(e.name(), SafeTensors.Entry.of(Arrays.copyOfRange(values, from, from + (int) e.numel()), e.shape()));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("fusedbert.stage", stage.name().toLowerCase(java.util.Locale.ROOT));
        meta.put("fusedbert.vocabulary_sha256", vectorizer.sha256Hex());
        meta.put("fusedbert.config", config.toCompactJson());
        // Vocabulary and config first: a model file present means its companions are.
        AtomicFiles.writeVia(dir.resolve(VOCABULARY_FILE), vectorizer::save);
        config.write(dir.resolve(CONFIG_FILE));
        if (data == null) {
            Files.deleteIfExists(dir.resolve(DATA_FILE));
        } else {
            AtomicFiles.writeString(dir.resolve(DATA_FILE), data.toJson() + "\n");
        }
        SafeTensors.write(dir.resolve(MODEL_FILE), tensors, meta);
        if (state == null) {
            Files.deleteIfExists(dir.resolve(STATE_FILE));
        } else {
            writeState(dir.resolve(STATE_FILE), state, vectorizer);
        }
    }

    private static void writeState(Path file, TrainerState s, TextVectorizer vectorizer) throws IOException {
        Map<String, SafeTensors.Entry> tensors = new LinkedHashMap<>();
        tensors.put("adam.m", SafeTensors.Entry.of(s.adamM(), s.adamM().length));
        tensors.put("adam.v", SafeTensors.Entry.of(s.adamV(), s.adamV().length));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("epochs", Integer.toString(s.epochs()));
        meta.put("epoch", Integer.toString(s.epoch()));
        meta.put("step_in_epoch", Integer.toString(s.stepInEpoch()));
        meta.put("step_counter", Integer.toString(s.stepCounter()));
        meta.put("adam_step", Integer.toString(s.adamStep()));
        meta.put("seed", Long.toString(s.seed()));
        meta.put("data", s.dataIdentity());
        meta.put("range_offset", Long.toString(s.range().offset()));
        meta.put("range_length", Long.toString(s.range().length()));
        meta.put("vocabulary_sha256", vectorizer.sha256Hex());
        meta.put("epoch_loss_sum", Double.toHexString(s.epochLossSum()));  // exact, for the resumed epoch's mean
        meta.put("epoch_loss_steps", Integer.toString(s.epochLossSteps()));
        SafeTensors.write(file, tensors, meta);
    }

    /**
     * Reads and checks a checkpoint directory.
     *
     * @throws IllegalArgumentException one line naming the file: missing, truncated or corrupt,
     *         or written for another configuration or vocabulary than its companions
     */
    public static Checkpoint load(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + ": checkpoint expected a directory (with " + MODEL_FILE
                    + ") but was " + (Files.exists(dir) ? "a file" : "missing"));
        }
        for (String f : new String[] {MODEL_FILE, CONFIG_FILE, VOCABULARY_FILE}) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                throw new IllegalArgumentException(dir + ": checkpoint expected " + f + " but it is missing");
            }
        }
        try {
            BertConfig config = BertConfig.read(dir.resolve(CONFIG_FILE));
            SafeTensors.Contents model = SafeTensors.read(dir.resolve(MODEL_FILE));
            Path modelFile = dir.resolve(MODEL_FILE);
            String metaConfig = model.metadata().get("fusedbert.config");
            if (metaConfig == null || !BertConfig.fromJson(metaConfig, modelFile.toString()).equals(config)) {
                throw new IllegalArgumentException(modelFile + ": configuration expected the one in " + CONFIG_FILE
                        + " (" + summary(config) + ") but was "
                        + (metaConfig == null ? "none" : summary(BertConfig.fromJson(metaConfig, modelFile.toString()))));
            }
            TextVectorizer vectorizer = TextVectorizer.load(dir.resolve(VOCABULARY_FILE), config.maxLen());
            String sha = model.metadata().get("fusedbert.vocabulary_sha256");
            if (!vectorizer.sha256Hex().equals(sha)) {
                throw new IllegalArgumentException(dir.resolve(VOCABULARY_FILE) + ": vocabulary expected the one "
                        + MODEL_FILE + " was trained with (sha256 " + abbreviate(sha) + ") but was another (sha256 "
                        + abbreviate(vectorizer.sha256Hex()) + ")");
            }
            if (vectorizer.vocabularySize() != config.vocabSize()) {
                throw new IllegalArgumentException(dir.resolve(VOCABULARY_FILE) + ": vocabulary expected "
                        + config.vocabSize() + " tokens but was " + vectorizer.vocabularySize());
            }
            ParameterLayout layout = new ParameterLayout(config);
            float[] flat = new float[Math.toIntExact(layout.totalElements())];
            for (Entry e : layout.entries()) {
                SafeTensors.Entry t = model.require(e.name(), modelFile);
                if (!Arrays.equals(t.shape(), e.shape()) || t.floats() == null) {
                    throw new IllegalArgumentException(modelFile + ": tensor " + e.name() + " expected F32 "
                            + Arrays.toString(e.shape()) + " but was " + t.dtype() + Arrays.toString(t.shape()));
                }
                System.arraycopy(t.floats(), 0, flat, Math.toIntExact(e.offset()), t.floats().length);
            }
            if (model.tensors().size() != layout.entries().size()) {
                throw new IllegalArgumentException(modelFile + ": tensors expected " + layout.entries().size()
                        + " but was " + model.tensors().size());
            }
            Stage stage = parseStage(model.metadata().get("fusedbert.stage"), modelFile);
            TrainerState state = Files.isRegularFile(dir.resolve(STATE_FILE))
                    ? readState(dir.resolve(STATE_FILE), vectorizer) : null;
            DataOrigin data = Files.isRegularFile(dir.resolve(DATA_FILE))
                    ? DataOrigin.fromJson(Files.readString(dir.resolve(DATA_FILE)), dir.resolve(DATA_FILE).toString())
                    : null;
            return new Checkpoint(dir, config, vectorizer, stage, flat, state, data);
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot read checkpoint: " + e.getMessage(), e);
        }
    }

    private static Stage parseStage(String s, Path file) {
        for (Stage st : Stage.values()) {
            if (st.name().equalsIgnoreCase(String.valueOf(s))) {
                return st;
            }
        }
        throw new IllegalArgumentException(file + ": metadata fusedbert.stage expected pretrained or finetuned but was " + s);
    }

    private static TrainerState readState(Path file, TextVectorizer vectorizer) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(file);
        Map<String, String> m = c.metadata();
        try {
            if (!vectorizer.sha256Hex().equals(m.get("vocabulary_sha256"))) {
                throw new IllegalArgumentException(file + ": vocabulary expected the checkpoint's but was another");
            }
            Range range = new Range(Long.parseLong(m.get("range_offset")), Long.parseLong(m.get("range_length")));
            float[] adamM = c.require("adam.m", file).floats();
            float[] adamV = c.require("adam.v", file).floats();
            if (adamM == null || adamV == null || adamM.length != range.length() || adamV.length != range.length()) {
                throw new IllegalArgumentException(file + ": adam moments expected " + range.length() + " floats each");
            }
            return new TrainerState(Integer.parseInt(m.get("epochs")), Integer.parseInt(m.get("epoch")),
                    Integer.parseInt(m.get("step_in_epoch")), Integer.parseInt(m.get("step_counter")),
                    Integer.parseInt(m.get("adam_step")), Long.parseLong(m.get("seed")), m.get("data"), range, adamM,
                    adamV, Double.parseDouble(m.getOrDefault("epoch_loss_sum", "0")),
                    Integer.parseInt(m.getOrDefault("epoch_loss_steps", "0")));
        } catch (NumberFormatException | NullPointerException e) {
            throw new IllegalArgumentException(file + ": trainer state expected numeric epochs, epoch, step_in_epoch,"
                    + " step_counter, adam_step, seed and range metadata but some are missing or malformed");
        }
    }

    private static String summary(BertConfig c) {
        return "vocab " + c.vocabSize() + ", maxLen " + c.maxLen() + ", hidden " + c.hidden() + ", heads " + c.heads()
                + ", ff " + c.ffDim() + ", layers " + c.layers();
    }

    private static String abbreviate(String sha) {
        return sha == null ? "none" : sha.substring(0, Math.min(12, sha.length()));
    }
}
