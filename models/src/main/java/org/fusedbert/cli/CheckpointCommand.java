package org.fusedbert.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.fusedbert.model.BertModel;
import org.fusedbert.model.Checkpoint;
import org.fusedbert.model.Examples;
import org.fusedbert.model.ResidentData;
import org.fusedbert.model.Trainer;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** What the commands that start from a checkpoint share. */
abstract class CheckpointCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", paramLabel = "DIR",
            description = "checkpoint folder, or a run folder holding one (default: runs/latest/checkpoint)")
    Path checkpoint;

    @Mixin
    BackendOption backendOption;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    Consumer<String> log() {
        return Main.printer(spec);
    }

    /**
     * Where a backend's fallback notice goes: nowhere for these one-shot commands, whose output is
     * their result (without a GPU, {@code auto} meaning the CPU is the normal case, not news).
     */
    Consumer<String> notices() {
        return line -> { };
    }

    Checkpoint loadCheckpoint() {
        return Checkpoint.load(Pipeline.checkpointPath(checkpoint));
    }

    /** The classifier's probabilities for {@code examples}, uploaded once and run through {@code model}. */
    float[] predict(BertModel model, Examples examples) {
        try (ResidentData data = new ResidentData("input", model.backend(),
                examples, false, model.batch())) {
            return Trainer.predict(model, data, Trainer.StepRunner.EAGER); // one pass: nothing to replay
        }
    }

    /** The checkpoint, which must hold a trained classifier. */
    Checkpoint loadFineTuned(String command) {
        Checkpoint c = loadCheckpoint();
        if (c.stage() != Checkpoint.Stage.FINETUNED) {
            throw new IllegalArgumentException(command + ": checkpoint expected a fine-tuned classifier but "
                    + c.directory() + " is only pretrained (run ./fusedbert finetune --checkpoint " + c.directory() + ")");
        }
        return c;
    }
}
