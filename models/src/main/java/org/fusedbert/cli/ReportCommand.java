package org.fusedbert.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.fusedbert.model.AtomicFiles;
import org.fusedbert.model.RunReport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fusedbert report RUN_DIR}: a finished train run beside the seed's figures, in Markdown. */
@Command(name = "report", description = {
    "The report of a finished 'train' run (its run.json and metrics.jsonl) beside the seed's figures, in Markdown."})
final class ReportCommand implements Callable<Integer> {
    @Parameters(paramLabel = "RUN_DIR", arity = "0..1", defaultValue = "runs/latest", description = "the run folder (default: ${DEFAULT-VALUE})")
    Path runDir;

    @Option(names = "--out", paramLabel = "FILE", description = "write the report there (default: print it)")
    Path out;

    @Option(names = "--compare", paramLabel = "NAME=RUN_DIR",
            description = "another run of the same configuration whose MLM losses and test accuracy (with its "
                    + "fine-tuning recipe) go beside this one's, e.g. seed-recipe=RUN_DIR")
    java.util.Map<String, Path> compare = new java.util.LinkedHashMap<>();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        String report = RunReport.markdown(runDir, compare);
        if (out != null) {
            AtomicFiles.writeString(out, report);
            spec.commandLine().getOut().println("report: " + out);
        } else {
            spec.commandLine().getOut().print(report);
        }
        spec.commandLine().getOut().flush();
        return 0;
    }
}
