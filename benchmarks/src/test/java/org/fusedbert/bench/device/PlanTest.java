package org.fusedbert.bench.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The full GPU plan (built, not run): the shapes the issue names, and what the peers receive. */
class PlanTest {
    @Test
    void fullPlanCoversTheIssuesShapes() {
        List<KernelCase> cases = KernelCases.full();
        Set<String> ids = new HashSet<>();
        for (KernelCase c : cases) {
            assertTrue(ids.add(c.id()), "duplicate case " + c.id());
            assertTrue(c.slots() >= 2 && c.slots() <= KernelCase.MAX_SLOTS, c.id() + " slots " + c.slots());
            assertTrue(c.slots() * c.bytesPerSlot() >= KernelCase.ROTATE_BYTES || c.slots() == KernelCase.MAX_SLOTS,
                    c.id() + ": rotation covers " + c.slots() * c.bytesPerSlot() + " bytes");
            assertEquals(c.id(), c.peerSpec().get("id"));
            for (KernelCase.Phase p : c.phases()) {
                assertTrue(p.bytes() > 0 ^ p.flops() > 0, c.id() + " " + p.name() + " has one kind of work");
            }
        }
        for (String id : List.of("layernorm N=8192 H=128", "layernorm N=32768 H=768", "attention B=32 heads=8 L=256 d=16",
                "attention B=32 heads=12 L=1024 d=64", "attention B=16 heads=6 L=1024 d=128",
                "mlm_cross_entropy rows=1229/1229 H=128 V=30000", "adam P=64000000", "embedding B=32 L=256 H=128 V=30000")) {
            assertTrue(ids.contains(id), "plan lacks " + id + ": " + ids);
        }
    }

    @Test
    void endToEndConfigurationsAreTheSeedsAndTheLargerOne() {
        List<EndToEnd> runs = EndToEnd.full(new Sampler(1, 1, 1));
        assertEquals(org.fusedbert.model.BertConfig.SEED, runs.get(0).config());
        var larger = runs.get(1).config();
        assertEquals(List.of(4, 256, 512, 32), List.of(larger.layers(), larger.hidden(), larger.maxLen(), larger.batchSize()));
        assertEquals(1552, runs.get(0).capacity());
        assertEquals(8192L, runs.get(0).tokensPerStep());
        int[] ids = runs.get(0).batches();
        assertEquals(8 * 32 * 256, ids.length);
        assertTrue(java.util.Arrays.stream(ids).allMatch(i -> i >= 0 && i < 30_000), "ids in the vocabulary");
        assertTrue(java.util.Arrays.stream(ids).filter(i -> i >= 2).count() > ids.length / 4, "mostly real tokens");
    }
}
