package org.vssf.bench.figures;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.vssf.nn.io.AtomicFiles;

/** Chart style, panel layout and atomic PNG output shared by the figures. */
final class Plots {
  private Plots() {}

  static {
    // Figures never need a display; must be set before the first AWT class initialises.
    System.setProperty("java.awt.headless", "true");
    ImageIO.setUseCache(false); // encode in memory: no cache files in java.io.tmpdir
  }

  /** Ensures the static initialiser (headless mode) ran before any AWT use. */
  static void init() {}

  static final Color TRUTH = new Color(0x22, 0x22, 0x22);
  static final Color MEAN = new Color(0x1f, 0x77, 0xb4);
  static final Color BAND = new Color(0x1f, 0x77, 0xb4, 0x48);
  static final Color ERROR = new Color(0xd6, 0x27, 0x28);
  static final Color[] CURVES = {new Color(0x1f, 0x77, 0xb4), new Color(0xd6, 0x27, 0x28),
      new Color(0x2c, 0xa0, 0x2c), new Color(0x94, 0x67, 0xbd)};
  /** Viridis at eight evenly spaced points (low → high). */
  static final Color[] VIRIDIS = {new Color(0x44, 0x01, 0x54), new Color(0x46, 0x32, 0x7e),
      new Color(0x36, 0x5c, 0x8d), new Color(0x27, 0x7f, 0x8e), new Color(0x1f, 0xa1, 0x87),
      new Color(0x4a, 0xc1, 0x6d), new Color(0xa0, 0xda, 0x39), new Color(0xfd, 0xe7, 0x25)};

  static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 16);
  static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
  static final Font TICKS = new Font(Font.SANS_SERIF, Font.PLAIN, 12);

  /** A line chart in the house style: white, grid, legend inside the plot. */
  static XYChart chart(int width, int height, String title, String xTitle, String yTitle) {
    XYChart c = new XYChartBuilder().width(width).height(height).title(title).xAxisTitle(xTitle)
        .yAxisTitle(yTitle).build();
    Styler.LegendPosition legend = Styler.LegendPosition.InsideNE;
    c.getStyler().setChartBackgroundColor(Color.WHITE).setPlotBackgroundColor(Color.WHITE)
        .setPlotBorderColor(Color.GRAY).setChartTitleFont(TITLE).setLegendFont(TICKS)
        .setLegendPosition(legend).setLegendBackgroundColor(new Color(255, 255, 255, 210))
        .setLegendBorderColor(Color.LIGHT_GRAY).setChartTitleBoxVisible(false).setChartPadding(8)
        .setLocale(java.util.Locale.ROOT);
    c.getStyler().setAxisTitleFont(LABEL).setAxisTickLabelsFont(TICKS).setPlotGridLinesColor(new Color(225, 225, 225))
        .setPlotMargin(4);
    c.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
    c.getStyler().setMarkerSize(4);
    return c;
  }

  /**
   * Asks for round x tick values. XChart labels an axis whose values (over all series, in the
   * order added) are equally spaced at data points (0, 7, 14, … for 200 steps); a hidden first
   * series at {@code x0} and {@code x0 + 0.5} breaks the spacing. Call before adding series.
   */
  static void roundXTicks(XYChart c, double x0, double y0) {
    XYSeries s = c.addSeries(" ", new double[] {x0, x0 + 0.5}, new double[] {y0, y0});
    s.setEnabled(false);
    s.setShowInLegend(false);
  }

  /**
   * Legend in one row under the plot, and a fixed width for the y labels, so panels stacked
   * above each other share their x positions.
   */
  static void legendBelow(XYChart c) {
    c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS).setLegendLayout(Styler.LegendLayout.Horizontal)
        .setYAxisLeftWidthHint(80);
  }

  /** A plain line (no markers). */
  static XYSeries line(XYChart c, String name, double[] x, double[] y, Color color, float width) {
    XYSeries s = c.addSeries(name, x, y);
    s.setMarker(SeriesMarkers.NONE);
    s.setLineColor(color);
    s.setLineWidth(width);
    return s;
  }

  /** A filled band between {@code lo} and {@code hi} (a closed polygon, no outline). */
  static XYSeries band(XYChart c, String name, double[] x, double[] lo, double[] hi, Color fill) {
    int n = x.length;
    double[] px = new double[2 * n];
    double[] py = new double[2 * n];
    for (int i = 0; i < n; i++) {
      px[i] = x[i];
      py[i] = hi[i];
      px[2 * n - 1 - i] = x[i];
      py[2 * n - 1 - i] = lo[i];
    }
    XYSeries s = c.addSeries(name, px, py);
    s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.PolygonArea);
    s.setMarker(SeriesMarkers.NONE);
    s.setFillColor(fill);
    s.setLineColor(new Color(0, 0, 0, 0));
    s.setLineWidth(0.01f);
    return s;
  }

  /** Renders a chart to an image of its own size. */
  static BufferedImage render(XYChart c) {
    return BitmapEncoder.getBufferedImage(c);
  }

  /**
   * Panels in a grid of {@code columns} (row-major; columns as wide as the widest panel, rows as
   * high as their highest)
   * under an optional title line.
   */
  static BufferedImage grid(List<BufferedImage> panels, int columns, String title) {
    int cw = 0;
    int ch = 0;
    for (BufferedImage p : panels) {
      cw = Math.max(cw, p.getWidth());
      ch = Math.max(ch, p.getHeight());
    }
    int rows = (panels.size() + columns - 1) / columns;
    int[] rowHeight = new int[rows];
    for (int i = 0; i < panels.size(); i++) {
      rowHeight[i / columns] = Math.max(rowHeight[i / columns], panels.get(i).getHeight());
    }
    int top = title == null ? 0 : 36;
    int height = top;
    for (int h : rowHeight) {
      height += h;
    }
    int panelsWidth = cw * Math.min(columns, panels.size());
    int width = Math.max(panelsWidth, title == null ? 0 : textWidth(title, TITLE) + 48);
    BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = graphics(out);
    if (title != null) {
      g.setColor(Color.BLACK);
      g.setFont(TITLE);
      FontMetrics fm = g.getFontMetrics();
      g.drawString(title, (out.getWidth() - fm.stringWidth(title)) / 2, 8 + fm.getAscent());
    }
    int left = (width - panelsWidth) / 2;
    int y = top;
    for (int r = 0; r < rows; r++) {
      for (int i = r * columns; i < Math.min(panels.size(), (r + 1) * columns); i++) {
        g.drawImage(panels.get(i), left + (i % columns) * cw, y, null);
      }
      y += rowHeight[r];
    }
    g.dispose();
    return out;
  }

  /** Width of {@code text} in {@code font}, in pixels. */
  static int textWidth(String text, Font font) {
    BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = graphics(probe);
    int w = g.getFontMetrics(font).stringWidth(text);
    g.dispose();
    return w;
  }

  /** A white image with antialiased text and shapes. */
  static Graphics2D graphics(BufferedImage img) {
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, img.getWidth(), img.getHeight());
    g.setStroke(new BasicStroke(1f));
    return g;
  }

  /** Writes {@code img} as PNG to {@code file} atomically, creating its directory. */
  static Path writePng(Path file, BufferedImage img) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    AtomicFiles.write(file, out -> {
      if (!ImageIO.write(img, "png", out)) {
        throw new IOException("this JVM has no PNG encoder");
      }
    });
    return file;
  }

  /** {@code 0, 1, …, n−1} as doubles. */
  static double[] steps(int n) {
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = i;
    }
    return x;
  }
}
