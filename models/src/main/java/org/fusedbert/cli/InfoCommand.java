package org.fusedbert.cli;

import picocli.CommandLine.Command;

/** {@code fusedbert info}: what this machine offers (Java, cores). */
@Command(name = "info", description = "Print the Java runtime and the cores this machine offers.")
final class InfoCommand implements Runnable {
    @Override
    public void run() {
        System.out.println("java: " + Runtime.version() + " (" + System.getProperty("java.home") + ")");
        System.out.println("cores: " + Runtime.getRuntime().availableProcessors());
    }
}
