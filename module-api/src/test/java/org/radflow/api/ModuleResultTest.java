package org.radflow.api;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A result's parameters keep the order the module gave them, and stay the same from one JVM run to the next. */
class ModuleResultTest {

    @Test
    void parametersKeepTheModulesOrder() {
        Map<String, String> given = new LinkedHashMap<>();
        given.put("zeta", "1");
        given.put("alpha", "2");
        given.put("mid", "3");
        ModuleResult r = ModuleResult.completed(List.of(), List.of(), "s", given);
        assertEquals(List.of("zeta", "alpha", "mid"), List.copyOf(r.parameters().keySet()));
        given.put("later", "4");
        assertEquals(3, r.parameters().size(), "a copy: the module's map may change afterwards");
        assertThrows(UnsupportedOperationException.class, () -> r.parameters().put("x", "y"));
        // a result made from another result's parameters keeps their order
        ModuleResult again = ModuleResult.completed(List.of(), List.of(), "s", r.parameters());
        assertEquals(List.of("zeta", "alpha", "mid"), List.copyOf(again.parameters().keySet()));
    }

    @Test
    void mapOfHasNoStableOrderSoItsEntriesAreSortedByName() {
        ModuleResult r = ModuleResult.completed(List.of(), List.of(), "s", Map.of("zeta", "1", "alpha", "2", "mid", "3"));
        assertEquals(List.of("alpha", "mid", "zeta"), List.copyOf(r.parameters().keySet()));
    }

    @Test
    void aNullValueIsRefusedWithItsName() {
        Map<String, String> given = new LinkedHashMap<>();
        given.put("threshold", null);
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> ModuleResult.completed(List.of(), List.of(), "s", given));
        assertEquals("the value of parameter threshold is null", e.getMessage());
    }
}
