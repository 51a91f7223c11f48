package org.radflow.inference;

import org.radflow.api.ModuleException;

/** A native inference runtime, created once per engine on first use of one of its backends. */
interface NativeRuntime {

    /** Opens a model whose files were already checked, with {@code threads} for its operators. */
    LoadedModel open(ModelFiles files, int threads) throws ModuleException;

    /** Name and version, for logs: "ONNX Runtime 1.23.2". */
    String description();
}
