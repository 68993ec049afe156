package org.fusedbert.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reads the real aclImdb archive where the machine has it (../shared/data); skipped elsewhere. */
class SharedArchiveTest {
    /**
     * The shared copy: {@code -Dfusedbert.imdb.archive=PATH}, else the first
     * {@code shared/data/aclImdb_v1_labeled.tar.gz} found walking up from the working directory
     * (the repository's {@code ../shared/data}, also from a worktree nested deeper).
     */
    static Path sharedArchive() {
        String configured = System.getProperty("fusedbert.imdb.archive");
        if (configured != null) {
            return Path.of(configured);
        }
        Path relative = Path.of("shared", "data", "aclImdb_v1_labeled.tar.gz");
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve(relative))) {
                return dir.resolve(relative);
            }
        }
        return Path.of("..", "..").resolve(relative);
    }

    @Test
    void sharedArchiveHas12500ReviewsInEachLabelledFolder() {
        Path archive = sharedArchive();
        assumeTrue(Files.isRegularFile(archive), "skipped: the shared IMDB archive is not at " + archive.toAbsolutePath()
                + " (set -Dfusedbert.imdb.archive=PATH to run this test)");
        Corpus c = AclImdb.load(archive, true);
        assertEquals(12_500, c.count(Split.TRAIN, Review.POSITIVE));
        assertEquals(12_500, c.count(Split.TRAIN, Review.NEGATIVE));
        assertEquals(12_500, c.count(Split.TEST, Review.POSITIVE));
        assertEquals(12_500, c.count(Split.TEST, Review.NEGATIVE));
        // This copy lacks train/unsup; the load says so and goes on.
        assertEquals(0, c.count(Split.UNSUP));
        assertEquals(List.of(archive + ": no train/unsup reviews (this copy lacks them); going on without"), c.warnings());
        for (Review r : c.reviews()) {
            boolean positive = r.label() == Review.POSITIVE;
            assertEquals(true, positive ? r.rating() >= 7 : r.rating() <= 4, r.name());
        }
    }
}
