package org.fusedbert.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ./fusedbert <command>}: the command-line entry point. */
@Command(name = "fusedbert", mixinStandardHelpOptions = true, version = "fusedbert 0.1.0",
        description = "Pretrain a small BERT by masked language modelling and fine-tune it for sentiment.",
        subcommands = {TrainCommand.class, PretrainCommand.class, FinetuneCommand.class, EvaluateCommand.class,
            FillMaskCommand.class, PredictCommand.class, PrepareCommand.class, ReportCommand.class, InfoCommand.class,
            CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code (tests call this instead of {@link #main}). */
    public static int run(String... args) {
        return run(null, null, args);
    }

    /** Runs the CLI with its output and errors going to {@code out} and {@code err} (null: the standard streams). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        System.setProperty("java.awt.headless", "true");
        CommandLine cli = new CommandLine(new Main());
        // Every command answers --help and --version, as the one-line errors promise.
        for (CommandLine sub : cli.getSubcommands().values()) {
            sub.getCommandSpec().mixinStandardHelpOptions(true);
            sub.getCommandSpec().version(cli.getCommandSpec().version());
        }
        if (out != null) {
            cli.setOut(out);
        }
        if (err != null) {
            cli.setErr(err);
        }
        // Bad input is one line on stderr and a non-zero exit, never a stack trace or a usage page.
        cli.setExecutionExceptionHandler((ex, line, parsed) -> {
            line.getErr().println("fusedbert: " + message(ex));
            line.getErr().flush();
            return 1;
        });
        cli.setParameterExceptionHandler((ex, args2) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println((c == cli ? "fusedbert" : "fusedbert " + c.getCommandName()) + ": " + firstLine(ex.getMessage())
                    + " (see ./fusedbert " + (c == cli ? "" : c.getCommandName() + " ") + "--help)");
            c.getErr().flush();
            return 2;
        });
        int code = cli.execute(args);
        cli.getOut().flush();
        return code;
    }

    /** Prints lines to a command's output, each flushed at once (progress lines must show while a run goes on). */
    static java.util.function.Consumer<String> printer(CommandLine.Model.CommandSpec spec) {
        PrintWriter out = spec.commandLine().getOut();
        return line -> {
            out.println(line);
            out.flush();
        };
    }

    /**
     * The first line of an error, with the reason of a file-system failure under it when the message
     * does not say it (the JDK's exceptions carry only the path: "/proc/x" alone says nothing).
     */
    static String message(Throwable ex) {
        String m = firstLine(ex.getMessage() == null ? ex.toString() : ex.getMessage());
        for (Throwable t = ex; t != null; t = t.getCause()) {
            if (t instanceof java.nio.file.FileSystemException fs) {
                String why = switch (fs) {
                    case java.nio.file.NoSuchFileException ignored -> "no such file or folder";
                    case java.nio.file.AccessDeniedException ignored -> "permission denied";
                    case java.nio.file.FileAlreadyExistsException ignored -> "a file is in the way";
                    case java.nio.file.NotDirectoryException ignored -> "not a folder";
                    case java.nio.file.DirectoryNotEmptyException ignored -> "the folder is not empty";
                    default -> fs.getReason() != null ? fs.getReason() : fs.getClass().getSimpleName();
                };
                return m.contains(why) ? m : m + " (" + why + ")";
            }
        }
        return m;
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).strip();
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
