package org.fusedbert.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * What a finished {@code train} run measured, written as {@value #FILE} in its run directory:
 * the input of the run report ({@code ./fusedbert report}).
 *
 * @param backend          the backend's name
 * @param device           the card (name, compute capability) or the CPU's description
 * @param data             the data source's description
 * @param config           the model configuration
 * @param mlmEpochs        MLM epochs run
 * @param mlmLosses        mean MLM loss of each epoch
 * @param probe            the probe sentence
 * @param probeTop         its top candidates after the last epoch, "token probability" each
 * @param classifierEpochs the classifier epochs (frozen and unfrozen)
 * @param recipe           how the classifier was fine-tuned (null in runs older than recipes)
 * @param validationSize   training reviews held out for validation (0 without a split)
 * @param kept             the classifier epoch whose parameters the model ends with, chosen by
 *                         validation accuracy (null when the last epoch's parameters stand)
 * @param testAccuracy     of the parameters the model ends with (until the run completes: of the
 *                         last classifier epoch; null until one ran)
 * @param wallSeconds      the whole command, data preparation included
 * @param workspaceBytes   the activation arena
 * @param parameterCount   parameters (padding excluded)
 * @param complete         false while the run goes on (the summary is rewritten after every epoch,
 *                         so a run cut short keeps what it finished)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RunSummary(String backend, String device, String data, BertConfig config,
                         @JsonProperty("mlm_epochs") int mlmEpochs,
                         @JsonProperty("mlm_losses") List<Double> mlmLosses,
                         String probe, @JsonProperty("probe_top") List<String> probeTop,
                         @JsonProperty("classifier_epochs") List<Trainer.ClassifierEpoch> classifierEpochs,
                         FineTuneRecipe recipe,
                         @JsonProperty("validation_size") int validationSize,
                         @JsonProperty("kept_epoch") Trainer.ClassifierEpoch kept,
                         @JsonProperty("test_accuracy") Double testAccuracy,
                         @JsonProperty("wall_s") double wallSeconds,
                         @JsonProperty("workspace_bytes") long workspaceBytes,
                         @JsonProperty("parameter_count") long parameterCount,
                         boolean complete) {
    /** The file name in a run directory. */
    public static final String FILE = "run.json";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Writes {@code runDir/run.json} atomically. */
    public void write(Path runDir) throws IOException {
        AtomicFiles.writeString(runDir.resolve(FILE), JSON.writeValueAsString(this) + "\n");
    }

    /** Reads {@code runDir/run.json}. */
    public static RunSummary read(Path runDir) throws IOException {
        Path f = runDir.resolve(FILE);
        if (!java.nio.file.Files.isRegularFile(f)) {
            boolean pretrainOnly = java.nio.file.Files.isDirectory(runDir.resolve("checkpoint"));
            throw new IllegalArgumentException(f + ": run summary expected (a train run writes it) but missing"
                    + (pretrainOnly ? ": pretrain and finetune runs write none; name a train run" : ""));
        }
        try {
            return JSON.readValue(f.toFile(), RunSummary.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(f + ": not a run summary: " + e.getOriginalMessage());
        }
    }
}
