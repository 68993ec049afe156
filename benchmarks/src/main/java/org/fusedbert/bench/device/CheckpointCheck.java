package org.fusedbert.bench.device;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fusedbert.api.Backend;
import org.fusedbert.api.DType;
import org.fusedbert.api.Tensor;
import org.fusedbert.device.GemmPrecision;
import org.fusedbert.device.cuda.GpuDevice;
import org.fusedbert.model.BertConfig;
import org.fusedbert.model.BertModel;
import org.fusedbert.model.Encoder;
import org.fusedbert.model.MlmHead;
import org.fusedbert.model.ParameterLayout;
import org.fusedbert.model.SafeTensors;

/**
 * The data of the independent forward check: a trained model's checkpoint (fusedbert's format:
 * {@code model.safetensors} with every parameter by name, {@code config.json}) and beside it
 * {@code batch.safetensors}: a batch's ids, the masked ids and labels our {@code mlmMask} drew for
 * it, and the MLM logits (at the labelled positions, in position order) and mean loss our forward
 * computed, with full-fp32 GEMMs. {@code peers.py} recomputes all of it independently.
 */
final class CheckpointCheck {
    /** The training step whose masks the batch gets. */
    static final int STEP = 5;
    /** Tolerances peers.py applies (fp32 against its float64 reference). */
    static final double LOGITS_ATOL = 1e-3;
    static final double LOGITS_RTOL = 1e-3;
    static final double LOSS_RTOL = 1e-4;

    private CheckpointCheck() {
    }

    /** Writes the checkpoint and the batch of {@code ids} (one batch [B, L]) into {@code dir}. */
    static void write(Target target, BertModel model, int[] ids, Path dir) throws IOException {
        Files.createDirectories(dir);
        Backend be = model.backend();
        BertConfig config = model.config();
        int b = model.batch();
        int len = config.maxLen();
        GpuDevice<?, ?> gpu = target.device() instanceof GpuDevice<?, ?> g ? g : null;
        GemmPrecision restore = gpu == null ? null : gpu.gemmPrecision();
        if (gpu != null) {
            gpu.gemmPrecision(GemmPrecision.FP32);
        }
        try (Tensor batch = be.allocate(DType.INT32, b, len);
             Tensor masked = be.allocate(DType.INT32, b, len);
             Tensor labels = be.allocate(DType.INT32, b, len);
             Tensor step = be.allocate(DType.INT32, 1)) {
            batch.copyFrom(ids);
            step.copyFrom(new int[] {STEP});
            be.mlmMask(batch, model.masking(), step, masked, labels);
            Encoder encoder = model.encoder();
            encoder.forward(masked, encoder.dropouts(EndToEnd.SEED, null));
            MlmHead head = model.mlmHead();
            Tensor flatLabels = labels.view(b * len);
            head.logitsAt(encoder.output(), flatLabels);
            int n = Math.min(head.capacity(), Math.round(head.labelledCount().item()));
            float[] logits = n == 0 ? new float[0] : head.logits().narrow(0, n).toFloatArray();
            head.lossAndGradient(encoder.output(), flatLabels);
            float loss = head.loss().item();

            Map<String, SafeTensors.Entry> tensors = new LinkedHashMap<>();
            tensors.put("ids", SafeTensors.Entry.of(ids.clone(), b, len));
            tensors.put("masked_ids", SafeTensors.Entry.of(masked.toIntArray(), b, len));
            tensors.put("labels", SafeTensors.Entry.of(labels.toIntArray(), b, len));
            tensors.put("logits", SafeTensors.Entry.of(logits, n, config.vocabSize()));
            tensors.put("loss", SafeTensors.Entry.of(new float[] {loss}, 1));
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("seed", Long.toString(EndToEnd.SEED));
            meta.put("step", Integer.toString(STEP));
            meta.put("backend", be.name());
            SafeTensors.write(dir.resolve("batch.safetensors"), tensors, meta);
        } finally {
            if (gpu != null) {
                gpu.gemmPrecision(restore);
            }
        }
        writeModel(model, dir);
    }

    /** The parameters by name, as fusedbert's checkpoints hold them, and the configuration. */
    private static void writeModel(BertModel model, Path dir) throws IOException {
        float[] values = model.parameters().download();
        Map<String, SafeTensors.Entry> tensors = new LinkedHashMap<>();
        for (ParameterLayout.Entry e : model.parameters().layout().entries()) {
            int from = Math.toIntExact(e.offset());
            tensors.put(e.name(), SafeTensors.Entry.of(Arrays.copyOfRange(values, from, from + (int) e.numel()), e.shape()));
        }
        SafeTensors.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt",
                "fusedbert.config", model.config().toJson()));
        model.config().write(dir.resolve("config.json"));
    }

    /** peers.py's spec of the check. */
    static Map<String, Object> peerSpec(Path dir) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dir", dir.toAbsolutePath().toString());
        m.put("logitsAtol", LOGITS_ATOL);
        m.put("logitsRtol", LOGITS_RTOL);
        m.put("lossRtol", LOSS_RTOL);
        return m;
    }
}
