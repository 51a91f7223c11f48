import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes the template's model, brightness.onnx: two features in (the series' mean and standard deviation, each as a
 * fraction of its maximum), two class probabilities out (bright, dark). A logistic model with fixed weights, so the
 * template has a real ONNX file to load without a download or a committed binary. Replace it with your trained
 * model; nothing else in the build depends on how the model was made.
 *
 * <p>Run by the Maven build (exec-maven-plugin) or by hand: {@code java src/model/MakeModel.java out/brightness.onnx}.
 * The JDK alone runs it: the ONNX protobuf is written by the few lines below (field numbers from onnx.proto).
 */
public final class MakeModel {

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: java MakeModel.java OUTPUT.onnx");
            System.exit(2);
        }
        // logits = features x W + B; p = softmax(logits). p(bright) = sigmoid(20 * mean - 10): 0.5 at half the maximum.
        float[] w = {10f, -10f, 0f, 0f};
        float[] b = {-5f, 5f};
        Proto graph = new Proto()
                .message(1, node("MatMul", new String[] {"features", "W"}, "logits"))
                .message(1, node("Add", new String[] {"logits", "B"}, "scores"))
                .message(1, node("Softmax", new String[] {"scores"}, "probabilities")
                        .message(5, new Proto().string(1, "axis").varint(3, 1).varint(20, 2))) // AttributeProto INT
                .string(2, "brightness")
                .message(5, tensor("W", new long[] {2, 2}, w))
                .message(5, tensor("B", new long[] {2}, b))
                .message(11, valueInfo("features", 2))
                .message(12, valueInfo("probabilities", 2));
        byte[] model = new Proto()
                .varint(1, 8) // ir_version
                .string(2, "radflow-module-template") // producer_name
                .message(7, graph)
                .message(8, new Proto().varint(2, 13)) // opset_import: default domain, opset 13
                .toByteArray();
        Path out = Path.of(args[0]).toAbsolutePath();
        Files.createDirectories(out.getParent());
        Files.write(out, model);
        System.out.println("wrote " + out + " (" + model.length + " bytes)");
    }

    private static Proto node(String op, String[] inputs, String output) {
        Proto n = new Proto();
        for (String in : inputs) {
            n.string(1, in);
        }
        return n.string(2, output).string(3, op.toLowerCase() + "_" + output).string(4, op);
    }

    private static Proto tensor(String name, long[] dims, float[] values) {
        Proto t = new Proto();
        for (long d : dims) {
            t.varint(1, d);
        }
        ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            raw.putFloat(v);
        }
        return t.varint(2, 1).string(8, name).bytes(9, raw.array()); // data_type FLOAT, raw_data
    }

    /** A float tensor [N, width] with a symbolic batch dimension. */
    private static Proto valueInfo(String name, long width) {
        Proto shape = new Proto().message(1, new Proto().string(2, "N")).message(1, new Proto().varint(1, width));
        Proto tensorType = new Proto().varint(1, 1).message(2, shape);
        return new Proto().string(1, name).message(2, new Proto().message(1, tensorType));
    }

    /** Just enough of the protobuf wire format: varints and length-delimited fields. */
    private static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long value) {
            writeVarint((long) field << 3);
            writeVarint(value);
            return this;
        }

        Proto string(int field, String value) {
            return bytes(field, value.getBytes(StandardCharsets.UTF_8));
        }

        Proto message(int field, Proto message) {
            return bytes(field, message.toByteArray());
        }

        Proto bytes(int field, byte[] value) {
            writeVarint(((long) field << 3) | 2);
            writeVarint(value.length);
            out.writeBytes(value);
            return this;
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }

        private void writeVarint(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }
    }
}
