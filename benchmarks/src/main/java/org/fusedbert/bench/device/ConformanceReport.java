package org.fusedbert.bench.device;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The GPU conformance report {@code benchmarks/device/run.sh} writes: the machine (GPU, driver,
 * CUDA), each kernel case's pass or fail with its maximum error on every device kind, the JUnit
 * totals per test class (with skip reasons), the compute-sanitizer summaries, and the leak check.
 *
 * <p>Inputs: {@code info.txt} ({@code key=value} lines from run.sh), the JUnit XML reports, the
 * test runs' console logs — in which the conformance suite prints one line per case,
 * {@code CONFORMANCE <device> <op> <shape> maxErr=<x> PASS|FAIL}, and the leak tests print
 * {@code LEAK <device> freeBefore=<b> freeAfter=<a> ...} — and the sanitizer logs.
 *
 * <p>{@code java ... ConformanceReport --info F --junit DIR --log F... --sanitizer NAME=F... --out F}
 */
public final class ConformanceReport {
    /** {@code CONFORMANCE <device> <op> <shape> maxErr=<x> PASS|FAIL}; the shape may contain spaces. */
    static final Pattern CONFORMANCE = Pattern.compile(
            "^CONFORMANCE\\s+(\\S+)\\s+(\\S+)\\s+(.*?)\\s+maxErr=(\\S+)\\s+(PASS|FAIL)\\s*$");
    static final Pattern LEAK = Pattern.compile(
            "^LEAK\\s+(\\S+)\\s+freeBefore=(\\d+)\\s+freeAfter=(\\d+).*$");
    static final Pattern MEMCHECK_SUMMARY = Pattern.compile("ERROR SUMMARY:\\s*(\\d+)\\s+errors?");
    static final Pattern RACECHECK_SUMMARY = Pattern.compile("RACECHECK SUMMARY:\\s*(\\d+)\\s+hazards? displayed\\s*\\((\\d+)\\s+errors?,\\s*(\\d+)\\s+warnings?\\)");

    /** One conformance case on one device. */
    record Case(String device, String op, String shape, String maxErr, boolean pass) {
    }

    /** Totals of one JUnit test class. */
    static final class ClassTotals {
        int passed;
        int failed;
        int skipped;
        final Set<String> skipReasons = new LinkedHashSet<>();
        final List<String> failures = new ArrayList<>();
    }

    record Leak(String device, long freeBefore, long freeAfter) {
        long delta() {
            return freeBefore - freeAfter;
        }
    }

    private ConformanceReport() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> info = new LinkedHashMap<>();
        Path junit = null;
        List<Path> logs = new ArrayList<>();
        Map<String, Path> sanitizers = new LinkedHashMap<>();
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            if (v == null) {
                throw new IllegalArgumentException("ConformanceReport: " + a + " expected a value but was the end of the arguments");
            }
            switch (a) {
                case "--info" -> info.putAll(readInfo(Path.of(v)));
                case "--junit" -> junit = Path.of(v);
                case "--log" -> logs.add(Path.of(v));
                case "--sanitizer" -> {
                    int eq = v.indexOf('=');
                    if (eq < 1) {
                        throw new IllegalArgumentException("ConformanceReport: --sanitizer expected NAME=FILE but was " + v);
                    }
                    sanitizers.put(v.substring(0, eq), Path.of(v.substring(eq + 1)));
                }
                case "--out" -> out = Path.of(v);
                default -> throw new IllegalArgumentException("ConformanceReport: argument expected one of --info, --junit, "
                        + "--log, --sanitizer, --out but was " + a);
            }
            i++;
        }
        List<String> logLines = new ArrayList<>();
        for (Path log : logs) {
            if (Files.isRegularFile(log)) {
                logLines.addAll(Files.readAllLines(log, StandardCharsets.UTF_8));
            }
        }
        Map<String, String> sanitizerResults = new LinkedHashMap<>();
        for (Map.Entry<String, Path> e : sanitizers.entrySet()) {
            sanitizerResults.put(e.getKey(), summarizeSanitizer(e.getValue()));
        }
        String report = render(info, junit == null ? Map.of() : readJUnit(junit), logLines, sanitizerResults);
        if (out == null) {
            System.out.print(report);
        } else {
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, report, StandardCharsets.UTF_8);
            System.out.println("report: " + out);
        }
    }

    static Map<String, String> readInfo(Path file) throws IOException {
        Map<String, String> info = new LinkedHashMap<>();
        if (!Files.isRegularFile(file)) {
            return info;
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                info.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
            }
        }
        return info;
    }

    /** Per test class (simple name) totals from every {@code TEST-*.xml} under {@code dir}. */
    static Map<String, ClassTotals> readJUnit(Path dir) {
        Map<String, ClassTotals> totals = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            return totals;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().matches("TEST-.*\\.xml")).sorted().toList()) {
                DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
                factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
                Document doc = factory.newDocumentBuilder().parse(f.toFile());
                NodeList cases = doc.getElementsByTagName("testcase");
                for (int i = 0; i < cases.getLength(); i++) {
                    Element c = (Element) cases.item(i);
                    String cls = c.getAttribute("classname");
                    String simple = cls.substring(cls.lastIndexOf('.') + 1);
                    ClassTotals t = totals.computeIfAbsent(simple.isEmpty() ? "(unnamed)" : simple, k -> new ClassTotals());
                    Element failure = first(c, "failure");
                    Element error = failure != null ? failure : first(c, "error");
                    Element skipped = first(c, "skipped");
                    if (error != null) {
                        t.failed++;
                        t.failures.add(c.getAttribute("name") + ": " + oneLine(error.getAttribute("message")));
                    } else if (skipped != null) {
                        t.skipped++;
                        String reason = skipped.getAttribute("message");
                        if (reason.isEmpty()) {
                            reason = skipped.getTextContent();
                        }
                        t.skipReasons.add(skipReason(reason));
                    } else {
                        t.passed++;
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException("ConformanceReport: cannot read JUnit reports in " + dir + ": " + e.getMessage(), e);
        }
        return totals;
    }

    private static Element first(Element parent, String tag) {
        NodeList l = parent.getElementsByTagName(tag);
        return l.getLength() == 0 ? null : (Element) l.item(0);
    }

    /** The assumption's own words, without JUnit's prefix or the stack trace. */
    static String skipReason(String raw) {
        String line = oneLine(raw);
        line = line.replaceFirst("^org\\.opentest4j\\.TestAbortedException:\\s*", "");
        line = line.replaceFirst("^Assumption failed:\\s*", "");
        int at = line.indexOf(" at org.");
        return at > 0 ? line.substring(0, at).trim() : line;
    }

    private static String oneLine(String s) {
        String first = s == null ? "" : s.strip().lines().findFirst().orElse("");
        return first.length() > 240 ? first.substring(0, 240) + "..." : first;
    }

    /** "0 errors", "3 errors", "0 hazards (0 errors, 0 warnings)", or what the log says instead (skipped: ...). */
    static String summarizeSanitizer(Path log) {
        if (!Files.isRegularFile(log)) {
            return "not run (no log)";
        }
        try {
            String text = Files.readString(log, StandardCharsets.UTF_8);
            Matcher race = RACECHECK_SUMMARY.matcher(text);
            String result = null;
            while (race.find()) {
                result = race.group(1) + " hazards (" + race.group(2) + " errors, " + race.group(3) + " warnings)";
            }
            if (result != null) {
                return result;
            }
            Matcher mem = MEMCHECK_SUMMARY.matcher(text);
            while (mem.find()) {
                result = mem.group(1) + " errors";
            }
            if (result != null) {
                return result;
            }
            String verdict = text.lines().filter(l -> l.startsWith("skipped") || l.startsWith("failed")).findFirst()
                    .orElse("no summary in " + log.getFileName() + " (did the run finish?)");
            return verdict.startsWith("skipped") ? verdict : verdict + cutShort(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * What a sanitizer run that ended without its summary did cover: the kernel comparisons that
     * completed under the tool and the reports the tool printed before the cut (an error or hazard
     * is printed when it happens, so none there means none in what ran).
     */
    private static String cutShort(String text) {
        long comparisons = text.lines().filter(l -> l.startsWith("CONFORMANCE ")).count();
        long reports = text.lines().filter(l -> l.startsWith("========= ") && !l.startsWith("========= COMPUTE-SANITIZER")
                && (l.contains("Error") || l.contains("Warning") || l.contains("Race") || l.contains("hazard")
                        || l.contains("Invalid"))).count();
        return "; before it: " + comparisons + " kernel comparisons ran under the tool, "
                + (reports == 0 ? "no error or hazard reported" : "**" + reports + " error or hazard lines**");
    }

    static List<Case> parseCases(List<String> lines) {
        List<Case> cases = new ArrayList<>();
        for (String line : lines) {
            Matcher m = CONFORMANCE.matcher(line.strip());
            if (m.matches()) {
                cases.add(new Case(m.group(1), m.group(2), m.group(3), m.group(4), m.group(5).equals("PASS")));
            }
        }
        return cases;
    }

    static List<Leak> parseLeaks(List<String> lines) {
        List<Leak> leaks = new ArrayList<>();
        for (String line : lines) {
            Matcher m = LEAK.matcher(line.strip());
            if (m.matches()) {
                leaks.add(new Leak(m.group(1), Long.parseLong(m.group(2)), Long.parseLong(m.group(3))));
            }
        }
        return leaks;
    }

    static String render(Map<String, String> info, Map<String, ClassTotals> junit, List<String> logLines,
                         Map<String, String> sanitizers) {
        StringBuilder md = new StringBuilder();
        boolean gpu = !"none".equals(info.getOrDefault("gpu", "none"));
        String gpuName = info.getOrDefault("gpu", "none");
        md.append("# GPU conformance: ").append(gpu ? gpuName : "no GPU").append(", ")
                .append(info.getOrDefault("date", "undated")).append("\n\n");
        if (!gpu) {
            md.append("**No GPU on this machine** (").append(info.getOrDefault("gpu_reason", "nvidia-smi found no GPU"))
                    .append("): the cuda and jcuda rows were skipped and only the simulator ran. This is a rehearsal, "
                            + "not a GPU result.\n\n");
        }
        md.append("| | |\n|---|---|\n");
        row(md, "GPU", gpuName);
        row(md, "driver", info.getOrDefault("driver", "-"));
        row(md, "CUDA (driver)", info.getOrDefault("cuda", "-"));
        row(md, "cuBLASLt", info.getOrDefault("cublaslt", "-"));
        row(md, "cuda device", info.getOrDefault("cuda_device", "-"));
        row(md, "jcuda device", info.getOrDefault("jcuda_device", "-"));
        row(md, "compute-sanitizer", info.getOrDefault("sanitizer", "-"));
        row(md, "commit", info.getOrDefault("commit", "-"));
        row(md, "Java", info.getOrDefault("java", "-"));
        md.append('\n');

        List<Case> cases = parseCases(logLines);
        md.append("## Kernels against CpuBackend\n\n");
        if (cases.isEmpty()) {
            md.append("No `CONFORMANCE` lines in the logs: the conformance suite did not run.\n\n");
        } else {
            List<String> devices = new ArrayList<>(new LinkedHashSet<>(cases.stream().map(Case::device).toList()));
            // One row per kernel output: over all its shapes, how many pass and the largest error.
            Map<String, Map<String, List<Case>>> byOp = new LinkedHashMap<>();
            for (Case c : cases) {
                byOp.computeIfAbsent(c.op(), k -> new LinkedHashMap<>())
                        .computeIfAbsent(c.device(), k -> new ArrayList<>()).add(c);
            }
            md.append("Each row is one kernel output over all the shapes it was tested at: cases passed of cases run, "
                    + "and the largest |device - CPU| among them.\n\n");
            md.append("| op:output |");
            devices.forEach(d -> md.append(' ').append(d).append(" |"));
            md.append("\n|---|");
            devices.forEach(d -> md.append("---|"));
            md.append('\n');
            for (Map.Entry<String, Map<String, List<Case>>> e : byOp.entrySet()) {
                md.append("| ").append(e.getKey()).append(" |");
                for (String d : devices) {
                    List<Case> list = e.getValue().get(d);
                    md.append(' ').append(list == null ? "-" : summarize(list)).append(" |");
                }
                md.append('\n');
            }
            md.append('\n');
            List<Case> failedCases = cases.stream().filter(c -> !c.pass()).toList();
            for (Case c : failedCases) {
                md.append("- **FAIL** ").append(c.device()).append(' ').append(c.op()).append(' ').append(c.shape())
                        .append(" maxErr=").append(c.maxErr()).append('\n');
            }
            if (!failedCases.isEmpty()) {
                md.append('\n');
            }
            for (String d : devices) {
                long n = cases.stream().filter(c -> c.device().equals(d)).count();
                long failed = cases.stream().filter(c -> c.device().equals(d) && !c.pass()).count();
                md.append("- ").append(d).append(": ").append(n - failed).append(" of ").append(n).append(" cases pass")
                        .append(failed == 0 ? "" : ", **" + failed + " fail**").append('\n');
            }
            md.append('\n');
        }

        md.append("## Test classes\n\n");
        if (junit.isEmpty()) {
            md.append("No JUnit reports.\n\n");
        } else {
            md.append("| class | passed | failed | skipped | skip reason |\n|---|---|---|---|---|\n");
            for (Map.Entry<String, ClassTotals> e : junit.entrySet()) {
                ClassTotals t = e.getValue();
                md.append("| ").append(e.getKey()).append(" | ").append(t.passed).append(" | ")
                        .append(t.failed == 0 ? "0" : "**" + t.failed + "**").append(" | ").append(t.skipped)
                        .append(" | ").append(String.join("; ", t.skipReasons).replace("|", "\\|")).append(" |\n");
            }
            md.append('\n');
            for (Map.Entry<String, ClassTotals> e : junit.entrySet()) {
                for (String f : e.getValue().failures) {
                    md.append("- FAILED ").append(e.getKey()).append('.').append(f.replace("|", "\\|")).append('\n');
                }
            }
            md.append('\n');
        }

        md.append("## compute-sanitizer\n\n| tool | result |\n|---|---|\n");
        if (sanitizers.isEmpty()) {
            md.append("| - | not run |\n");
        }
        sanitizers.forEach((tool, result) -> row(md, tool, result));
        md.append('\n');

        md.append("## Device memory leak check (1,000 allocate/launch/free cycles)\n\n");
        List<Leak> leaks = parseLeaks(logLines);
        if (leaks.isEmpty()) {
            md.append(gpu ? "No `LEAK` lines in the logs: the leak check did not run.\n" : "Skipped: no GPU.\n");
        } else {
            md.append("| device | free before | free after | difference | result |\n|---|---|---|---|---|\n");
            for (Leak l : leaks) {
                md.append("| ").append(l.device()).append(" | ").append(l.freeBefore()).append(" | ").append(l.freeAfter())
                        .append(" | ").append(String.format(Locale.ROOT, "%d bytes", l.delta())).append(" | ")
                        .append(l.delta() == 0 ? "no leak" : "**leak**").append(" |\n");
            }
        }
        return md.toString();
    }

    /** "PASS 5/5, max 2.4e-07" or "**FAIL** 4/5, max NaN". */
    static String summarize(List<Case> cases) {
        long passed = cases.stream().filter(Case::pass).count();
        double max = 0;
        String maxText = "0";
        for (Case c : cases) {
            double v;
            try {
                v = Double.parseDouble(c.maxErr());
            } catch (NumberFormatException e) {
                v = Double.NaN;
            }
            if (Double.isNaN(v) || v > max) {
                max = Double.isNaN(v) ? Double.POSITIVE_INFINITY : v;
                maxText = c.maxErr();
            }
        }
        return (passed == cases.size() ? "PASS " : "**FAIL** ") + passed + "/" + cases.size() + ", max " + maxText;
    }

    private static void row(StringBuilder md, String key, String value) {
        md.append("| ").append(key).append(" | ").append(value.replace("|", "\\|")).append(" |\n");
    }
}
