package org.fusedbert.data;

import static org.fusedbert.data.AclImdbTest.assertOneLineNaming;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataSourceTest {
    @TempDir
    Path tmp;

    private HttpServer server;
    private byte[] served;
    private final AtomicInteger requests = new AtomicInteger();
    private final List<String> log = new ArrayList<>();

    @BeforeEach
    void serveASmallArchiveOnLoopback() throws IOException {
        served = Files.readAllBytes(ImdbFixture.standard().writeArchive(tmp.resolve("served.tar.gz")));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/aclImdb_v1.tar.gz", exchange -> {
            requests.incrementAndGet();
            exchange.sendResponseHeaders(200, served.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(served, 0, served.length / 2);
                out.flush();
                out.write(served, served.length / 2, served.length - served.length / 2);
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    private DataSource.Request request(Path data, Path cache, boolean download, URI uri, String sha256) {
        return new DataSource.Request(data, cache, download, false, 5, 10, uri, sha256, null);
    }

    private DataSource.Request request(Path data, Path cache) {
        return request(data, cache, false, ImdbDownload.OFFICIAL_URI, ImdbDownload.OFFICIAL_SHA256);
    }

    @Test
    void optionThenEnvironmentThenCacheThenSynthetic() throws IOException {
        Path a = ImdbFixture.standard().writeArchive(tmp.resolve("a.tar.gz"));
        Path b = ImdbFixture.standard().writeFolder(tmp.resolve("b"));
        Path cache = Files.createDirectories(tmp.resolve("cache"));
        Map<String, String> env = Map.of(DataSource.DATA_ENV, b.toString());

        DataSource fromOption = DataSource.resolve(request(a, cache), env, log::add);
        assertEquals(DataSource.Kind.OPTION, fromOption.kind());
        assertEquals(a.toAbsolutePath(), fromOption.path());

        DataSource fromEnv = DataSource.resolve(request(null, cache), env, log::add);
        assertEquals(DataSource.Kind.ENVIRONMENT, fromEnv.kind());
        assertEquals(8, fromEnv.load().reviews().size());

        DataSource synthetic = DataSource.resolve(request(null, cache), Map.of(), log::add);
        assertEquals(DataSource.Kind.SYNTHETIC, synthetic.kind());
        assertEquals(20, synthetic.load().reviews().size());
        assertTrue(synthetic.load().source().startsWith("synthetic (seed 5, 10 train + 10 test reviews)"));

        ImdbFixture.standard().writeFolder(cache);
        DataSource cachedFolder = DataSource.resolve(request(null, cache), Map.of(), log::add);
        assertEquals(DataSource.Kind.CACHE, cachedFolder.kind());
        assertEquals(cache.resolve("aclImdb").toAbsolutePath(), cachedFolder.path());
        Files.copy(a, cache.resolve(AclImdb.ARCHIVE_NAME));
        assertEquals(cache.resolve(AclImdb.ARCHIVE_NAME).toAbsolutePath(),
                DataSource.resolve(request(null, cache), Map.of(), log::add).path());

        assertEquals(5, log.size(), "one line per resolution: " + log);
        assertTrue(log.get(0).endsWith("(from --data)"), log.get(0));
        assertTrue(log.get(1).endsWith("(from FUSEDBERT_DATA)"), log.get(1));
        assertTrue(log.get(2).startsWith("data: no IMDB data") && log.get(2).contains("synthetic"), log.get(2));
        assertTrue(log.get(3).endsWith("(found in the cache)"), log.get(3));
    }

    @Test
    void cacheDirectoryIsOptionThenEnvironmentThenHome() {
        Path opt = tmp.resolve("opt"), env = tmp.resolve("env");
        assertEquals(opt, DataSource.cacheDirectory(request(null, opt), Map.of(DataSource.CACHE_ENV, env.toString())));
        assertEquals(env, DataSource.cacheDirectory(request(null, null), Map.of(DataSource.CACHE_ENV, env.toString())));
        assertEquals(Path.of(System.getProperty("user.home"), ".cache", "fusedbert"),
                DataSource.cacheDirectory(request(null, null), Map.of()));
    }

    @Test
    void pathsThatDoNotExistAreOneLineNamingOptionOrVariable() {
        Path missing = tmp.resolve("missing.tar.gz");
        var e = assertThrows(IllegalArgumentException.class, () -> DataSource.resolve(request(missing, tmp), Map.of(), log::add));
        assertOneLineNaming(e.getMessage(), "--data " + missing);
        var env = assertThrows(IllegalArgumentException.class, () -> DataSource.resolve(request(null, tmp),
                Map.of(DataSource.DATA_ENV, missing.toString()), log::add));
        assertOneLineNaming(env.getMessage(), "FUSEDBERT_DATA " + missing);
    }

    @Test
    void downloadFetchesIntoTheCacheCheckingTheHashOnce() throws IOException {
        Path cache = tmp.resolve("dl-cache");
        String sha256 = Sha256.hex(Sha256.newDigest().digest(served));
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        DataSource.Request req = new DataSource.Request(null, cache, true, false, 5, 10, uri("/aclImdb_v1.tar.gz"),
                sha256.toUpperCase(), new PrintStream(progress, true, StandardCharsets.UTF_8));
        DataSource downloaded = DataSource.resolve(req, Map.of(), log::add);
        assertEquals(DataSource.Kind.DOWNLOAD, downloaded.kind());
        assertTrue(Files.isRegularFile(cache.resolve(AclImdb.ARCHIVE_NAME)));
        assertFalse(Files.exists(cache.resolve(AclImdb.ARCHIVE_NAME + ".part")));
        assertEquals(8, downloaded.load().reviews().size());
        assertTrue(progress.toString(StandardCharsets.UTF_8).contains("100%"), "progress bar: " + progress);

        // Next run finds it in the cache: no second request.
        assertEquals(DataSource.Kind.CACHE, DataSource.resolve(req, Map.of(), log::add).kind());
        assertEquals(1, requests.get());
    }

    @Test
    void aDownloadWithTheWrongHashOrStatusIsOneLineAndLeavesNothing() {
        Path cache = tmp.resolve("bad-cache");
        String wrong = "0".repeat(64);
        var e = assertThrows(IllegalArgumentException.class, () -> DataSource.resolve(
                request(null, cache, true, uri("/aclImdb_v1.tar.gz"), wrong), Map.of(), log::add));
        assertOneLineNaming(e.getMessage(), uri("/aclImdb_v1.tar.gz").toString());
        assertTrue(e.getMessage().contains("expected sha256 " + wrong + " but was " + Sha256.hex(Sha256.newDigest().digest(served))),
                e.getMessage());
        assertFalse(Files.exists(cache.resolve(AclImdb.ARCHIVE_NAME)));
        assertFalse(Files.exists(cache.resolve(AclImdb.ARCHIVE_NAME + ".part")));

        var notFound = assertThrows(IllegalArgumentException.class, () -> DataSource.resolve(
                request(null, cache, true, uri("/elsewhere.tar.gz"), wrong), Map.of(), log::add));
        assertTrue(notFound.getMessage().contains("expected HTTP status 200 but was 404"), notFound.getMessage());
        assertFalse(Files.exists(cache.resolve(AclImdb.ARCHIVE_NAME + ".part")));
    }

    @Test
    void aDownloadThatCannotConnectSaysSoInOneLine() throws IOException {
        int closedPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = socket.getLocalPort();
        }
        Path cache = tmp.resolve("offline-cache");
        URI nowhere = URI.create("http://127.0.0.1:" + closedPort + "/aclImdb_v1.tar.gz");
        var e = assertThrows(java.io.UncheckedIOException.class, () -> DataSource.resolve(
                request(null, cache, true, nowhere, "0".repeat(64)), Map.of(), log::add));
        assertOneLineNaming(e.getMessage(), nowhere.toString());
        assertTrue(e.getMessage().contains("cannot connect (no network, or the server refused)"), e.getMessage());
        assertFalse(Files.exists(cache.resolve(AclImdb.ARCHIVE_NAME + ".part")));
    }

    @Test
    void keysDifferWhenTheDataDoes() throws IOException {
        Path a = ImdbFixture.standard().writeArchive(tmp.resolve("a.tar.gz"));
        String before = DataSource.resolve(request(a, tmp), Map.of(), log::add).key();
        Files.setLastModifiedTime(a, java.nio.file.attribute.FileTime.fromMillis(0));
        assertFalse(before.equals(DataSource.resolve(request(a, tmp), Map.of(), log::add).key()));
        assertTrue(before.startsWith("imdb-a_tar_gz-"), before);
        assertEquals("synthetic-s5-n10", DataSource.resolve(request(null, tmp), Map.of(), log::add).key());
    }

    @Test
    void aCheckpointsRecordedDataComesFirstUnlessTheUserChoseData() throws IOException {
        Path archive = ImdbFixture.standard().writeArchive(tmp.resolve("a.tar.gz")).toAbsolutePath();
        Path folder = ImdbFixture.standard().writeFolder(tmp.resolve("b"));
        Path cache = Files.createDirectories(tmp.resolve("cache"));
        DataOrigin imdb = DataOrigin.imdb(archive, true);
        DataOrigin synthetic = DataOrigin.synthetic(3, 12);

        DataSource recorded = DataSource.resolve(request(null, cache), imdb, false, Map.of(), log::add);
        assertEquals(DataSource.Kind.CHECKPOINT, recorded.kind());
        assertEquals(archive, recorded.path());
        assertTrue(recorded.includeUnsup(), "the recorded train/unsup choice");
        assertEquals(List.of("data: imdb " + archive + " (with train/unsup) (the checkpoint's)"), log);

        log.clear();
        DataSource syn = DataSource.resolve(request(null, cache), synthetic, false, Map.of(), log::add);
        assertEquals(synthetic, syn.origin());
        assertEquals(List.of("data: synthetic (seed 3, 12 train + 12 test reviews) (the checkpoint's)"), log);

        // FUSEDBERT_DATA is a choice: it wins, with one warning.
        log.clear();
        DataSource fromEnv = DataSource.resolve(request(null, cache), synthetic, false,
                Map.of(DataSource.DATA_ENV, folder.toString()), log::add);
        assertEquals(DataSource.Kind.ENVIRONMENT, fromEnv.kind());
        assertEquals(2, log.size(), log.toString());
        assertEquals("warning: the checkpoint was trained on synthetic (seed 3, 12 train + 12 test reviews), not on "
                + "this data", log.get(1));

        // A synthetic option is a choice too; the same reviews chosen again need no warning.
        log.clear();
        DataSource chosen = DataSource.resolve(request(null, cache), synthetic, true, Map.of(), log::add);
        assertEquals(DataOrigin.synthetic(5, 10), chosen.origin());
        assertTrue(log.get(1).startsWith("warning: the checkpoint was trained on synthetic (seed 3"), log.toString());
        log.clear();
        DataSource.resolve(request(archive, cache), imdb, false, Map.of(), log::add);
        assertEquals(1, log.size(), "--data naming the checkpoint's archive: " + log);

        // The recorded archive is gone and only the synthetic corpus is left: refused; no record: the usual order.
        log.clear();
        DataOrigin gone = DataOrigin.imdb(tmp.resolve("gone.tar.gz"), false);
        var refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> DataSource.resolve(request(null, cache), gone, false, Map.of(), log::add));
        assertTrue(refused.getMessage().contains("gone.tar.gz): expected an aclImdb archive or folder that exists but "
                + "was gone, and no other IMDB copy was found"), refused.getMessage());
        assertTrue(log.isEmpty(), log.toString());
        assertEquals(DataSource.Kind.SYNTHETIC, DataSource.resolve(request(null, cache), null, false, Map.of(),
                log::add).kind());
    }

    @Test
    void dataOriginsRoundTripThroughJsonAndBadRecordsAreOneLine() {
        DataOrigin imdb = DataOrigin.imdb(tmp.resolve("x.tar.gz"), false);
        DataOrigin synthetic = DataOrigin.synthetic(-7, 2000);
        assertEquals(imdb, DataOrigin.fromJson(imdb.toJson(), "data.json"));
        assertEquals(synthetic, DataOrigin.fromJson(synthetic.toJson(), "data.json"));
        assertEquals("{\"source\":\"synthetic\",\"seed\":-7,\"reviews\":2000}", synthetic.toJson());
        assertTrue(imdb.sameReviews(DataOrigin.imdb(tmp.resolve("x.tar.gz"), true)), "train/unsup aside");
        assertFalse(synthetic.sameReviews(DataOrigin.synthetic(-7, 1999)));
        assertFalse(synthetic.sameReviews(imdb));
        for (String bad : new String[] {"", "{", "[]", "{\"source\":\"synthetic\",\"seed\":1}",
                "{\"source\":\"synthetic\",\"seed\":1,\"reviews\":0}", "{\"source\":\"imdb\",\"unsup\":false}",
                "{\"source\":\"csv\",\"path\":\"a\",\"unsup\":false}"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> DataOrigin.fromJson(bad, "ck/data.json"), bad);
            assertOneLineNaming(e.getMessage(), "ck/data.json");
            assertTrue(e.getMessage().contains("expected "), e.getMessage());
        }
    }
}
