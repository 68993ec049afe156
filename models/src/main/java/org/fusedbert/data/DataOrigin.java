package org.fusedbert.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;

/**
 * Where a run's reviews came from, as a checkpoint records it: an aclImdb archive or folder, or
 * the synthetic corpus's seed and size. Unlike {@link DataSource} it holds nothing about this
 * machine (no cache directory) or about how the source was found.
 *
 * @param path             the aclImdb archive or folder, absolute; null for the synthetic corpus
 * @param includeUnsup     whether {@code train/unsup} was read too (IMDB only)
 * @param syntheticSeed    the synthetic corpus's seed (synthetic only)
 * @param syntheticReviews the synthetic corpus's reviews per split (synthetic only)
 */
public record DataOrigin(Path path, boolean includeUnsup, long syntheticSeed, int syntheticReviews) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The synthetic corpus with {@code seed} and {@code reviews} per split. */
    public static DataOrigin synthetic(long seed, int reviews) {
        return new DataOrigin(null, false, seed, reviews);
    }

    /** The aclImdb archive or folder at {@code path}. */
    public static DataOrigin imdb(Path path, boolean includeUnsup) {
        return new DataOrigin(path.toAbsolutePath().normalize(), includeUnsup, 0, 0);
    }

    /** Whether this is the synthetic corpus. */
    public boolean synthetic() {
        return path == null;
    }

    /** One line saying what the reviews are: {@code imdb <path>} or {@code synthetic (seed ...)}. */
    public String description() {
        if (synthetic()) {
            return SyntheticReviews.description(syntheticSeed, syntheticReviews);
        }
        return "imdb " + path + (includeUnsup ? " (with train/unsup)" : "");
    }

    /**
     * Whether {@code other} names the same labelled reviews: the same synthetic seed and size, or
     * the same aclImdb path ({@code train/unsup} aside: it has no labels, and a resumed pretraining
     * checks its examples itself).
     */
    public boolean sameReviews(DataOrigin other) {
        if (synthetic() || other.synthetic()) {
            return synthetic() && other.synthetic() && syntheticSeed == other.syntheticSeed
                    && syntheticReviews == other.syntheticReviews;
        }
        return path.equals(other.path);
    }

    /** One line of JSON: {@code {"source":"imdb","path":...,"unsup":...}} or {@code {"source":"synthetic","seed":...,"reviews":...}}. */
    public String toJson() {
        ObjectNode node = JSON.createObjectNode();
        if (synthetic()) {
            node.put("source", "synthetic").put("seed", syntheticSeed).put("reviews", syntheticReviews);
        } else {
            node.put("source", "imdb").put("path", path.toString()).put("unsup", includeUnsup);
        }
        return node.toString();
    }

    /**
     * Parses {@link #toJson()}'s output.
     *
     * @throws IllegalArgumentException naming {@code file} when the text is not such a record
     */
    public static DataOrigin fromJson(String json, String file) {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw DataErrors.fail(file, "a JSON data record", "unparsable (" + e.getOriginalMessage() + ")");
        }
        String source = node == null ? null : node.path("source").asText(null);
        if ("synthetic".equals(source) && node.path("seed").isIntegralNumber() && node.path("reviews").canConvertToInt()
                && node.path("reviews").asInt() > 0) {
            return synthetic(node.path("seed").asLong(), node.path("reviews").asInt());
        }
        if ("imdb".equals(source) && node.path("path").isTextual() && !node.path("path").asText().isBlank()
                && node.path("unsup").isBoolean()) {
            return imdb(Path.of(node.path("path").asText()), node.path("unsup").asBoolean());
        }
        throw DataErrors.fail(file, "source synthetic with seed and reviews > 0, or imdb with path and unsup",
                json.strip());
    }
}
