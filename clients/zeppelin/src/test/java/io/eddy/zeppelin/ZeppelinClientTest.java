package io.eddy.zeppelin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.apache.zeppelin.client.ClientConfig;
import org.apache.zeppelin.client.NoteResult;
import org.apache.zeppelin.client.ParagraphResult;
import org.apache.zeppelin.client.Result;
import org.apache.zeppelin.client.Status;
import org.apache.zeppelin.client.ZeppelinClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Drives a running Eddy with Apache Zeppelin's own Java client, unchanged: the
 * calls a Zeppelin user's program makes, one after the other on one note. The
 * Eddy to use and a member's name and password come from the system properties
 * eddy.url, eddy.user and eddy.password.
 *
 * <p>The client keeps its connection settings and cookies in Unirest's global
 * configuration, so the steps share one client and run in order.
 */
@TestMethodOrder(OrderAnnotation.class)
class ZeppelinClientTest {
  /** Polling interval of the client's waits: shorter than its 1 s default, to keep the test quick. */
  private static final long QUERY_INTERVAL_MS = 200;
  /** How long a single SELECT of literals may take, starting the note's Flink session included. */
  private static final long RUN_TIMEOUT_MS = 180_000;

  private static final String SQL = "%flink.bsql\nSELECT 'zeppelin client' AS w, 42 AS n";
  /** A TABLE result's data: a header line, then one tab-separated line per row. */
  private static final String SQL_TABLE = "w\tn\nzeppelin client\t42\n";
  private static final String MARKDOWN = "%md\n## From *Zeppelin's* client";
  private static final String MARKDOWN_HTML =
      "<div class=\"markdown-body\">\n<h2>From <em>Zeppelin's</em> client</h2>\n</div>";

  private static String url;
  private static String user;
  private static String password;
  private static ZeppelinClient client;

  /** Notes this test made, deleted (into the trash) at the end whatever happened. */
  private static final List<String> created = new ArrayList<>();
  private static final String folder = "/zeppelin-client-" + UUID.randomUUID().toString().substring(0, 8);
  private static String noteId;
  private static String sqlId;
  private static String markdownId;

  @BeforeAll
  static void logIn() throws Exception {
    url = required("eddy.url");
    user = required("eddy.user");
    password = required("eddy.password");
    client = new ZeppelinClient(new ClientConfig(url, QUERY_INTERVAL_MS));
    client.login(user, password);
  }

  @AfterAll
  static void deleteNotes() {
    for (String id : created) {
      try {
        client.deleteNote(id);
      } catch (Exception gone) {
        // deleted for good by the test itself
      }
    }
  }

  private static String required(String name) {
    String v = System.getProperty(name, "");
    if (v.isEmpty()) {
      throw new IllegalStateException("set -D" + name + " (see cmd/eddy/zeppelin_client_test.go)");
    }
    return v;
  }

  @Test
  @Order(1)
  void readsTheVersion() throws Exception {
    assertEquals("0.12.0", client.getVersion());
  }

  @Test
  @Order(2)
  void createsANoteWithParagraphs() throws Exception {
    noteId = client.createNote(folder + "/report");
    created.add(noteId);
    // The text is replaced below: the results later show that the update was kept.
    sqlId = client.addParagraph(noteId, "query", "%flink.bsql\nSELECT 'draft' AS w");
    client.updateParagraph(noteId, sqlId, "query", SQL);
    markdownId = client.addParagraph(noteId, "notes", MARKDOWN);
    assertNotEquals(sqlId, markdownId);

    NoteResult note = client.queryNoteResult(noteId);
    assertEquals(noteId, note.getNoteId());
    assertEquals(folder + "/report", note.getNotePath());
    assertFalse(note.isRunning());
    List<ParagraphResult> paragraphs = note.getParagraphResultList();
    assertEquals(2, paragraphs.size());
    assertEquals(sqlId, paragraphs.get(0).getParagraphId());
    assertEquals(markdownId, paragraphs.get(1).getParagraphId());
    assertEquals(Status.READY, paragraphs.get(0).getStatus());
    assertTrue(paragraphs.get(0).getResults().isEmpty());
  }

  @Test
  @Order(3)
  void executesAParagraph() throws Exception {
    ParagraphResult r = client.executeParagraph(noteId, sqlId);
    assertEquals(sqlId, r.getParagraphId());
    assertEquals(Status.FINISHED, r.getStatus(), r.toString());
    assertTable(r, SQL_TABLE);
  }

  @Test
  @Order(4)
  void submitsAParagraphAndWaitsForIt() throws Exception {
    ParagraphResult submitted = client.submitParagraph(noteId, markdownId);
    assertEquals(markdownId, submitted.getParagraphId());
    ParagraphResult r = client.waitUtilParagraphFinish(noteId, markdownId, RUN_TIMEOUT_MS);
    assertEquals(Status.FINISHED, r.getStatus(), r.toString());
    assertEquals(1, r.getResults().size(), r.toString());
    Result html = r.getResults().get(0);
    assertEquals("HTML", html.getType());
    assertEquals(MARKDOWN_HTML, html.getData());
  }

  @Test
  @Order(5)
  void queriesAParagraphsResult() throws Exception {
    ParagraphResult r = client.queryParagraphResult(noteId, sqlId);
    assertEquals(Status.FINISHED, r.getStatus());
    assertTable(r, SQL_TABLE);
  }

  @Test
  @Order(6)
  void executesTheNote() throws Exception {
    // A new value shows that executeNote waited for the run it started, not
    // for the results of the runs above.
    client.updateParagraph(noteId, sqlId, "query", "%flink.bsql\nSELECT 'whole note' AS w, 43 AS n");
    NoteResult note = client.executeNote(noteId);
    assertFalse(note.isRunning());
    List<ParagraphResult> paragraphs = note.getParagraphResultList();
    assertEquals(2, paragraphs.size());
    for (ParagraphResult p : paragraphs) {
      assertEquals(Status.FINISHED, p.getStatus(), p.toString());
    }
    assertTable(paragraphs.get(0), "w\tn\nwhole note\t43\n");
    assertEquals(1, paragraphs.get(1).getResults().size());
    assertEquals(MARKDOWN_HTML, paragraphs.get(1).getResults().get(0).getData());
  }

  @Test
  @Order(7)
  void clonesRenamesAndDeletesANote() throws Exception {
    String cloneId = client.cloneNote(noteId, folder + "/copy");
    created.add(cloneId);
    assertNotEquals(noteId, cloneId);
    NoteResult clone = client.queryNoteResult(cloneId);
    assertEquals(folder + "/copy", clone.getNotePath());
    assertEquals(2, clone.getParagraphResultList().size());
    // A clone carries the paragraphs' results too, as in Zeppelin.
    assertTable(clone.getParagraphResultList().get(0), "w\tn\nwhole note\t43\n");

    client.renameNote(cloneId, folder + "/archive/copy");
    assertEquals(folder + "/archive/copy", client.queryNoteResult(cloneId).getNotePath());

    // Eddy's delete moves a note to the trash first, and deletes it from there.
    client.deleteNote(cloneId);
    assertEquals("/~Trash" + folder + "/archive/copy", client.queryNoteResult(cloneId).getNotePath());
    client.deleteNote(cloneId);
    Exception e = assertThrows(Exception.class, () -> client.queryNoteResult(cloneId));
    assertTrue(e.getMessage().contains("status: 404"), e.getMessage());
    // The original is untouched.
    assertEquals(folder + "/report", client.queryNoteResult(noteId).getNotePath());
  }

  @Test
  @Order(8)
  void refusesAWrongPassword() throws Exception {
    // Unirest's cookies are global: the refused login must leave this
    // client's session as it was.
    Exception e = assertThrows(Exception.class, () -> client.login(user, password + "-wrong"));
    assertTrue(e.getMessage().contains("status: 403"), e.getMessage());
    Exception nobody = assertThrows(Exception.class, () -> client.login("nobody-" + UUID.randomUUID(), password));
    assertTrue(nobody.getMessage().contains("status: 403"), nobody.getMessage());
    assertEquals(folder + "/report", client.queryNoteResult(noteId).getNotePath());
  }

  @Test
  @Order(9)
  void deletesTheNoteThroughTheTrash() throws Exception {
    client.deleteNote(noteId);
    assertEquals("/~Trash" + folder + "/report", client.queryNoteResult(noteId).getNotePath());
    client.deleteNote(noteId);
    Exception e = assertThrows(Exception.class, () -> client.queryNoteResult(noteId));
    assertTrue(e.getMessage().contains("status: 404"), e.getMessage());
  }

  private static void assertTable(ParagraphResult r, String data) {
    assertEquals(1, r.getResults().size(), r.toString());
    Result table = r.getResults().get(0);
    assertEquals("TABLE", table.getType(), r.toString());
    assertEquals(data, table.getData());
  }
}
