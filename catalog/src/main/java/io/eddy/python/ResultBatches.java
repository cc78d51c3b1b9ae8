package io.eddy.python;

import java.util.ArrayDeque;
import java.util.Iterator;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.utils.print.RowDataToStringConverter;

/**
 * Reads a query result for Eddy's Python worker, which polls it through py4j: one call per batch
 * rather than several per row and field. A daemon thread drains the result's iterator (whose
 * hasNext blocks until Flink sends rows) into a bounded buffer, as the SQL Gateway's result
 * store does, so a poll returns what has arrived without waiting for more. Each field is the
 * string Flink prints for it (the converter the result itself carries, as the SQL Gateway uses),
 * so values from a Python paragraph look exactly like those of a SQL paragraph.
 */
public final class ResultBatches implements AutoCloseable {
  private final ArrayDeque<String> buffer = new ArrayDeque<>();
  private final int capacity;
  private final Thread reader;
  private boolean ended;
  private boolean closed;
  private Throwable failure;

  /** Starts reading rows; at most capacity converted rows wait in the buffer. */
  public ResultBatches(Iterator<RowData> rows, RowDataToStringConverter converter, int capacity) {
    this.capacity = capacity;
    this.reader = new Thread(() -> read(rows, converter), "eddy-result-batches");
    reader.setDaemon(true);
    reader.start();
  }

  private void read(Iterator<RowData> rows, RowDataToStringConverter converter) {
    try {
      while (rows.hasNext()) {
        String row = encode(rows.next(), converter);
        synchronized (this) {
          while (buffer.size() >= capacity && !closed) {
            wait();
          }
          if (closed) {
            return;
          }
          buffer.add(row);
          notifyAll();
        }
      }
    } catch (Throwable t) {
      synchronized (this) {
        failure = t;
      }
    } finally {
      synchronized (this) {
        ended = true;
        notifyAll();
      }
    }
  }

  /**
   * Returns the buffered rows, at most maxRows, as a JSON array of arrays: each the row kind's
   * short string ("+I", "-U", "+U", "-D") followed by the fields, a null field as JSON null. With
   * nothing buffered it waits up to waitMillis for a row and may return "[]". It returns null once
   * the result has ended and every row was taken, and throws what ended the result if it failed.
   */
  public synchronized String poll(int maxRows, long waitMillis) throws Exception {
    long deadline = System.currentTimeMillis() + waitMillis;
    while (buffer.isEmpty() && !ended) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        return "[]";
      }
      wait(left);
    }
    if (buffer.isEmpty()) {
      if (failure instanceof Exception) {
        throw (Exception) failure;
      } else if (failure != null) {
        throw new RuntimeException(failure);
      }
      return null;
    }
    StringBuilder out = new StringBuilder("[");
    for (int n = 0; n < maxRows && !buffer.isEmpty(); n++) {
      if (n > 0) {
        out.append(',');
      }
      out.append(buffer.poll());
    }
    notifyAll();
    return out.append(']').toString();
  }

  /** Stops reading; the caller closes the result itself. */
  @Override
  public synchronized void close() {
    closed = true;
    buffer.clear();
    notifyAll();
  }

  static String encode(RowData row, RowDataToStringConverter converter) {
    String[] fields = converter.convert(row);
    StringBuilder out = new StringBuilder("[");
    quote(out, row.getRowKind().shortString());
    for (int i = 0; i < fields.length; i++) {
      out.append(',');
      if (row.isNullAt(i)) {
        out.append("null");
      } else {
        quote(out, fields[i]);
      }
    }
    return out.append(']').toString();
  }

  /** Appends s as a JSON string. */
  static void quote(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"':
          out.append("\\\"");
          break;
        case '\\':
          out.append("\\\\");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        default:
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
      }
    }
    out.append('"');
  }
}
