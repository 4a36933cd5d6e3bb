package org.vssf.bench.env;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Contact sheets of every environment at 32 and 64 px, to look at by eye. Runs only when asked:
 * {@code ./mvnw -o -q test -pl vssf-bench -am -Dtest=RenderPreview
 * -Dsurefire.failIfNoSpecifiedTests=false -Dvssf.preview.dir=/tmp/preview}. (ImageIO is fine
 * here: previews are not part of the data path.)
 */
@EnabledIfSystemProperty(named = "vssf.preview.dir", matches = ".+")
class RenderPreview {
  @Test
  void writeContactSheets() throws IOException {
    Path dir = Path.of(System.getProperty("vssf.preview.dir"));
    Files.createDirectories(dir);
    float[] positions = {-5f, -2.5f, 0f, 2.5f, 5f};
    for (Environment env : Environment.values()) {
      for (int size : new int[] {32, 64}) {
        Renderer r = env.renderer(size, Environment.DEFAULT_SCENE_SEED);
        int scale = 256 / size;
        int cell = size * scale + 4;
        BufferedImage sheet = new BufferedImage(cell * positions.length,
            cell * positions.length, BufferedImage.TYPE_INT_RGB);
        byte[] img = new byte[r.frameBytes()];
        for (int row = 0; row < positions.length; row++) {
          for (int col = 0; col < positions.length; col++) {
            // pendulum: θ across the sheet; camera worlds: x across, y down
            float[] z = env == Environment.PENDULUM
                ? new float[] {positions[col] * 1.2f + positions[row] * 0.24f, 0f}
                : new float[] {positions[col], positions[row], 0f, 0f};
            r.render(z, 0, img, 0);
            for (int y = 0; y < size * scale; y++) {
              for (int x = 0; x < size * scale; x++) {
                int o = ((y / scale) * size + x / scale) * 3;
                sheet.setRGB(col * cell + x, row * cell + y,
                    ((img[o] & 255) << 16) | ((img[o + 1] & 255) << 8) | (img[o + 2] & 255));
              }
            }
          }
        }
        ImageIO.write(sheet, "png", dir.resolve(env.id() + "-" + size + ".png").toFile());
      }
    }
  }
}
