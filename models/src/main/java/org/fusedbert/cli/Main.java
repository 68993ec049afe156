package org.fusedbert.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./fusedbert <command>}: the command-line entry point. */
@Command(name = "fusedbert", mixinStandardHelpOptions = true, version = "fusedbert 0.1.0",
        description = "Pretrain a small BERT by masked language modelling and fine-tune it for sentiment.",
        subcommands = {InfoCommand.class, PrepareCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code (tests call this instead of {@link #main}). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        // Bad input is one line on stderr and a non-zero exit, never a stack trace.
        cli.setExecutionExceptionHandler((ex, line, parsed) -> {
            line.getErr().println("fusedbert: " + (ex.getMessage() == null ? ex.toString() : ex.getMessage()));
            return 1;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
