package dev.veil.tests.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The java command line with which tests start Veil's JVMs (servers and one-shot commands).
 *
 * <p>They run the shaded jar the build makes, {@code gateway/target/veil.jar}: what admins run, and much quicker to
 * start than the tests' class path of 155 jars and module directories (`keys list` 2.7-2.9 s against 1.4-1.8 s on the
 * 2-core test machine). On top of that, a class-data-sharing archive of the classes a server loads (JDK 17's dynamic
 * CDS, dumped once per jar by one server start and stop) cuts `keys list` to 1.0-1.1 s and a server's start from
 * 6.6 s (class path) or 4.7-5.6 s (jar) to 3.0-3.1 s. The suite starts Veil hundreds of times.
 *
 * <p>When the jar is missing or older than the modules' compiled classes (a test run from an IDE after an edit), Veil
 * starts from the test class path instead, without an archive, and says so once on stderr. An archive that cannot be
 * made or opened is skipped: the JVM then loads every class from the jar, only slower.
 */
public final class VeilLauncher {
    public static final String MAIN = "dev.veil.gateway.VeilApplication";
    /** JDK 17's CDS warnings (a jar that changed since the dump) go to stdout, where tests read a command's output. */
    private static final String QUIET_CDS = "-Xlog:cds=off,cds+dynamic=off";

    private static final Path MODULES = Path.of("").toAbsolutePath().getParent();
    private static final Path JAR = freshJar();

    private static boolean archiveTried;
    private static volatile Path archive;

    private VeilLauncher() {
    }

    /** {@code java JVM_OPTIONS [-XX:SharedArchiveFile=...] -cp veil.jar dev.veil.gateway.VeilApplication ARGS}. */
    public static List<String> command(List<String> jvmOptions, List<String> args) {
        List<String> command = new ArrayList<>(List.of(java()));
        command.addAll(jvmOptions);
        if (JAR != null) {
            ensureArchive();
            if (archive != null) {
                command.add("-XX:SharedArchiveFile=" + archive);
            }
            command.addAll(List.of(QUIET_CDS, "-cp", JAR.toString()));
        } else {
            command.addAll(List.of("-cp", System.getProperty("java.class.path")));
        }
        command.add(MAIN);
        command.addAll(args);
        return command;
    }

    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The shaded jar, or null when it is missing or older than any class or resource compiled since. */
    private static Path freshJar() {
        Path jar = MODULES.resolve("gateway/target/veil.jar");
        try {
            if (!Files.isRegularFile(jar)) {
                System.err.println("VeilLauncher: " + jar + " is missing (`mvn verify` builds it before the tests);"
                        + " starting Veil from the test class path");
                return null;
            }
            FileTime built = Files.getLastModifiedTime(jar);
            for (String module : List.of("config", "crypto", "gateway")) {
                Path classes = MODULES.resolve(module).resolve("target/classes");
                if (!Files.isDirectory(classes)) {
                    continue;
                }
                try (Stream<Path> files = Files.walk(classes)) {
                    Path newer = files.filter(Files::isRegularFile).filter(f -> modified(f).compareTo(built) > 0)
                            .findAny().orElse(null);
                    if (newer != null) {
                        System.err.println("VeilLauncher: " + newer + " is newer than " + jar
                                + "; starting Veil from the test class path");
                        return null;
                    }
                }
            }
            return jar;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static FileTime modified(Path file) {
        try {
            return Files.getLastModifiedTime(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Makes the archive for this jar if there is none yet: one server start and stop with
     * {@code -XX:ArchiveClassesAtExit}. The JVM writes the archive as it exits, and a truncated archive crashes the
     * JVM that maps it, so it is written under a temporary name, opened once with {@code -Xshare:on}, and only then
     * moved into place. Reentrant: the dumping server's own start (through {@link #command}) finds it tried.
     */
    private static synchronized void ensureArchive() {
        if (archiveTried) {
            return;
        }
        archiveTried = true;
        try {
            Path dir = MODULES.resolve("tests/target/cds");
            Files.createDirectories(dir);
            String name = "veil-" + Files.size(JAR) + "-" + Files.getLastModifiedTime(JAR).toMillis();
            Path ready = dir.resolve(name + ".jsa");
            if (!Files.isRegularFile(ready)) {
                Path dumped = dir.resolve(name + "." + ProcessHandle.current().pid() + ".tmp");
                Files.deleteIfExists(dumped);
                Path work = Files.createTempDirectory("veil-cds");
                GatewayProcess server = GatewayProcess.withKeys(work.resolve("data"))
                        .jvmOption("-XX:ArchiveClassesAtExit=" + dumped);
                try {
                    server.start();
                } finally {
                    server.stop();
                }
                if (!opens(dumped)) {
                    System.err.println("VeilLauncher: no usable class-data-sharing archive was written (" + dumped
                            + "); Veil's JVMs start without one");
                    Files.deleteIfExists(dumped);
                    return;
                }
                Files.move(dumped, ready, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            archive = ready;
        } catch (IOException | RuntimeException e) {
            System.err.println("VeilLauncher: making the class-data-sharing archive failed (" + e
                    + "); Veil's JVMs start without one");
        }
    }

    /** Whether a JVM maps {@code archive} for this jar ({@code -Xshare:on} makes any failure an error). */
    private static boolean opens(Path archive) {
        if (!Files.isRegularFile(archive)) {
            return false;
        }
        try {
            Process p = new ProcessBuilder(java(), "-Xshare:on", "-XX:SharedArchiveFile=" + archive, "-cp",
                    JAR.toString(), "-version").redirectErrorStream(true).start();
            p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
