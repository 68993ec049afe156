package org.fusedbert.cli;

import java.util.List;
import org.fusedbert.api.Backend;
import org.fusedbert.model.BertModel;
import org.fusedbert.model.Checkpoint;
import org.fusedbert.model.FillMask;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fusedbert fill-mask "text with [mask]"}: the most probable words for each mask. */
@Command(name = "fill-mask", description = "The top-k words (with probabilities) for each [mask] in a text.")
final class FillMaskCommand extends CheckpointCommand {
    @Parameters(paramLabel = "TEXT", arity = "1..*", description = "the text, with one or more [mask]")
    List<String> words;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "5", description = "candidates per mask (default: ${DEFAULT-VALUE})")
    int topK;

    @Override
    public Integer call() {
        String text = String.join(" ", words);
        if (topK < 1) {
            throw new IllegalArgumentException("fill-mask: --top-k expected >= 1 but was " + topK);
        }
        Checkpoint ckpt = loadCheckpoint();
        // Bad text is reported before a backend is opened.
        FillMask.encodeWithMasks(ckpt.vectorizer(), text, new int[ckpt.config().maxLen()]);
        try (Backend backend = backendOption.open(notices());
             org.fusedbert.model.Parameters params = new org.fusedbert.model.Parameters(backend, ckpt.config());
             BertModel model = new BertModel(params, 0, 1, false)) {
            ckpt.loadInto(params);
            List<List<FillMask.Candidate>> result = FillMask.predict(model, ckpt.vectorizer(), text, topK);
            for (int i = 0; i < result.size(); i++) {
                log().accept("[mask] " + (result.size() > 1 ? (i + 1) + " " : "") + "-> "
                        + Pipeline.describe(result.get(i)));
            }
        }
        return 0;
    }
}
