/**
 * The host's inference service: {@link org.radflow.inference.HostInferenceEngine} owns ONNX Runtime and
 * TensorFlow Java for the whole server and hands each module an
 * {@link org.radflow.inference.ModuleInference} view sized to its thread budget. See this module's README for
 * deployment settings ({@code org.bytedeco.javacpp.cachedir}, {@code onnxruntime.native.path}).
 */
package org.radflow.inference;
