package org.fusedbert.bench.device;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.IntConsumer;
import org.fusedbert.api.AdamConfig;
import org.fusedbert.api.Backend;
import org.fusedbert.data.Review;
import org.fusedbert.data.Split;
import org.fusedbert.data.SyntheticReviews;
import org.fusedbert.data.TextVectorizer;
import org.fusedbert.device.DeviceGraph;
import org.fusedbert.model.BertConfig;
import org.fusedbert.model.BertModel;
import org.fusedbert.model.Examples;
import org.fusedbert.model.MlmHead;
import org.fusedbert.model.ParameterLayout.Phase;
import org.fusedbert.model.Parameters;
import org.fusedbert.model.ResidentData;

/**
 * The end-to-end benchmark: one MLM pretraining step ({@link BertModel#pretrainStep}: the batch's
 * gather from resident data, masking, forward, loss, backward, Adam) at a configuration, on batches
 * of the synthetic review corpus encoded by the {@link TextVectorizer}, uploaded once as a
 * {@link ResidentData} of {@code batchCount} batches; each call points the batch index at its
 * slot. Timed as issued step by step ({@code eager}) and as one captured graph replayed per step
 * ({@code graph}) where the target can capture. The mean loss is over the last {@code batchCount}
 * steps of each mode.
 *
 * @param id         the configuration's name in the report
 * @param config     model and batch shape
 * @param batchCount batches rotated through
 * @param sampler    warm-up and steps timed
 */
record EndToEnd(String id, BertConfig config, int batchCount, Sampler sampler) {
    /** Seed of parameters, masking and dropout. */
    static final long SEED = 20_251_126L;

    /** One timed mode of one target. */
    record Result(String implementation, double[] samplesMs, OptionalLong peakBytes, float meanLoss, String note) {
    }

    /** {@code batchCount} batches [B, L] of encoded synthetic reviews, back to back. */
    int[] batches() {
        int b = config.batchSize();
        int len = config.maxLen();
        int reviews = b * batchCount;
        List<String> texts = new ArrayList<>();
        for (Review r : new SyntheticReviews(SyntheticReviews.DEFAULT_SEED).corpus(Math.max(reviews, 64)).split(Split.TRAIN)) {
            texts.add(r.text());
        }
        TextVectorizer v = TextVectorizer.adapt(texts, config.vocabSize(), len);
        int[] ids = new int[reviews * len];
        for (int i = 0; i < reviews; i++) {
            v.encode(texts.get(i % texts.size()), ids, i * len);
        }
        return ids;
    }

    /** Tokens per step. */
    long tokensPerStep() {
        return (long) config.batchSize() * config.maxLen();
    }

    /** MLM head capacity at this shape. */
    int capacity() {
        return MlmHead.capacity(config.batchSize() * config.maxLen(), 0.15f);
    }

    /**
     * Times eager steps, then graph replays where possible, on {@code target}, and leaves the
     * trained model to {@code afterwards} (the checkpoint check) before freeing it.
     */
    List<Result> run(Target target, int[] batches, java.util.function.Consumer<BertModel> afterwards) {
        Backend be = target.backend();
        List<Result> out = new ArrayList<>();
        be.synchronize();
        OptionalLong before = target.usedDeviceBytes();
        int b = config.batchSize();
        int len = config.maxLen();
        try (Parameters params = new Parameters(be, config);
             BertModel model = new BertModel(params, SEED, b, true);
             ResidentData resident = new ResidentData("bench", be, Examples.of(batches, null, len), false, b)) {
            params.initialize(SEED);
            model.startPhase(Phase.PRETRAIN, AdamConfig.KERAS.withLearningRate(config.learningRate()));
            int[] identity = new int[resident.size()];
            for (int i = 0; i < identity.length; i++) {
                identity[i] = i;
            }
            resident.startEpoch(identity, 0);
            IntConsumer slot = s -> be.fill(resident.batchIndex(), s);
            double[] eager = sampler.run(target, batchCount, s -> {
                slot.accept(s);
                model.pretrainStep(resident);
            });
            float eagerLoss = meanLoss(resident);
            be.synchronize();
            OptionalLong peak = peak(before, target.usedDeviceBytes());
            out.add(new Result(target.name() + " eager", eager, peak, eagerLoss, "one call per operation"));
            if (target.canCapture()) {
                try (DeviceGraph graph = target.capture(() -> model.pretrainStep(resident))) {
                    double[] replay = sampler.run(target, batchCount, s -> {
                        slot.accept(s);
                        graph.launch();
                    });
                    float graphLoss = meanLoss(resident);
                    be.synchronize();
                    out.add(new Result(target.name() + " graph", replay, peak(before, target.usedDeviceBytes()), graphLoss,
                            "the step captured once (" + graph.nodeCount() + " nodes), replayed"));
                } catch (RuntimeException e) {
                    out.add(new Result(target.name() + " graph", new double[0], OptionalLong.empty(), Float.NaN,
                            "not run: " + firstLine(e)));
                }
            }
            afterwards.accept(model);
        }
        return out;
    }

    private float meanLoss(ResidentData resident) {
        float sum = 0;
        for (float l : resident.readLosses(0, batchCount)) {
            sum += l;
        }
        return sum / batchCount;
    }

    private static OptionalLong peak(OptionalLong before, OptionalLong after) {
        return before.isPresent() && after.isPresent()
                ? OptionalLong.of(after.getAsLong() - before.getAsLong()) : OptionalLong.empty();
    }

    static String firstLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /** What peers.py needs to run the same configuration. */
    Map<String, Object> peerSpec(String batchesFile, List<String> variants) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("config", configFields(config));
        m.put("batches", batchesFile);
        m.put("batchCount", batchCount);
        m.put("capacity", capacity());
        m.put("warmup", sampler.warmup());
        m.put("steps", sampler.samples());
        m.put("variants", variants);
        return m;
    }

    /** The configuration's fields as BertConfig's JSON names them. */
    static Map<String, Object> configFields(BertConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vocabSize", c.vocabSize());
        m.put("maxLen", c.maxLen());
        m.put("hidden", c.hidden());
        m.put("heads", c.heads());
        m.put("ffDim", c.ffDim());
        m.put("layers", c.layers());
        m.put("dropout", c.dropout());
        m.put("layerNormEps", c.layerNormEps());
        m.put("batchSize", c.batchSize());
        m.put("learningRate", c.learningRate());
        m.put("classifierHidden", c.classifierHidden());
        m.put("attendPadding", c.attendPadding());
        return m;
    }

    /** The seed's configuration and a larger one (4 layers, hidden 256, sequence 512). */
    static List<EndToEnd> full(Sampler sampler) {
        BertConfig larger = BertConfig.SEED.toBuilder().layers(4).hidden(256).maxLen(512).build();
        return List.of(new EndToEnd("seed (1 layer, H=128, L=256, B=32)", BertConfig.SEED, 8, sampler),
                new EndToEnd("larger (4 layers, H=256, L=512, B=32)", larger, 4, sampler));
    }

    /** A tiny configuration for the rehearsal (head dim 16: the smallest the attention kernels take). */
    static List<EndToEnd> rehearsal(Sampler sampler) {
        BertConfig tiny = BertConfig.SEED.toBuilder().vocabSize(200).maxLen(16).hidden(32).heads(2).ffDim(12)
                .batchSize(3).build();
        return List.of(new EndToEnd("tiny (1 layer, H=32, L=16, B=3)", tiny, 2, sampler));
    }
}
