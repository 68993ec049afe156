package org.fusedbert.device.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * One shared library opened with {@code dlopen} for the life of the process, or the one-line reason
 * it could not be opened. Binding classes look their symbols up here on first use, so a missing
 * library fails the first call with that reason instead of failing class loading.
 */
final class NativeLibrary {
    private final String name;
    private final SymbolLookup lookup;
    private final String failure;

    private NativeLibrary(String name, SymbolLookup lookup, String failure) {
        this.name = name;
        this.lookup = lookup;
        this.failure = failure;
    }

    /** Opens {@code nameOrPath} (a soname searched on the library path, or an absolute path). */
    static NativeLibrary open(String nameOrPath) {
        try {
            return new NativeLibrary(nameOrPath, SymbolLookup.libraryLookup(nameOrPath, Arena.global()), null);
        } catch (IllegalArgumentException | IllegalCallerException e) {
            return new NativeLibrary(nameOrPath, null, "cannot load " + nameOrPath + " (" + e.getMessage() + ")");
        }
    }

    /** A library that is known to be absent, with the reason. */
    static NativeLibrary absent(String name, String reason) {
        return new NativeLibrary(name, null, reason);
    }

    String name() {
        return name;
    }

    boolean isLoaded() {
        return lookup != null;
    }

    /** Why the library is not loaded, or empty when it is. */
    Optional<String> failure() {
        return Optional.ofNullable(failure);
    }

    /** Whether the library exports {@code symbol}. */
    boolean has(String symbol) {
        return lookup != null && lookup.find(symbol).isPresent();
    }

    /**
     * A downcall handle for the first of {@code symbols} the library exports (newer versioned names
     * first, for example {@code cuEventElapsedTime_v2} then {@code cuEventElapsedTime}).
     */
    MethodHandle downcall(FunctionDescriptor descriptor, String... symbols) {
        if (lookup == null) {
            throw new UnsatisfiedLinkError(failure);
        }
        for (String symbol : symbols) {
            Optional<MemorySegment> address = lookup.find(symbol);
            if (address.isPresent()) {
                return Linker.nativeLinker().downcallHandle(address.get(), descriptor);
            }
        }
        throw new UnsatisfiedLinkError(name + " exports none of " + String.join(", ", symbols));
    }
}
