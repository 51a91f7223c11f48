package org.radflow.inference;

import org.radflow.api.ModuleException;

import java.util.Arrays;

/**
 * What a model declares about one of its tensors: the name callers use, the element type as the runtime
 * names it, and the shape with {@code -1} for a dimension of any size ({@code null} when even the rank is
 * unknown).
 */
record TensorSpec(String name, String type, boolean isFloat32, long[] shape) {

    /** Checks an input tensor against this spec; {@code model} names the model file in the message. */
    void checkInput(long[] given, Object model) throws ModuleException {
        if (!isFloat32) {
            throw new ModuleException("Input '" + name + "' of " + model + " is of type " + type
                    + "; only float32 tensors are supported");
        }
        if (shape == null) {
            return;
        }
        boolean ok = shape.length == given.length;
        for (int i = 0; ok && i < shape.length; i++) {
            ok = shape[i] < 0 || shape[i] == given[i];
        }
        if (!ok) {
            throw new ModuleException("Input '" + name + "' of " + model + " expects shape " + format(shape)
                    + " (-1 = any size), got " + format(given));
        }
    }

    void checkOutputType(Object model) throws ModuleException {
        if (!isFloat32) {
            throw new ModuleException("Output '" + name + "' of " + model + " is of type " + type
                    + "; only float32 tensors are supported");
        }
    }

    static String format(long[] shape) {
        return shape == null ? "[unknown rank]" : Arrays.toString(shape);
    }
}
