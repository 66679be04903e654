/*
 * Runs the real Apache Solr server (Solr's own embedded Jetty, JettySolrRunner)
 * for `make test` and `make ckan-up`: Solr's tests serve HTTP the same way, so
 * the harness needs no Solr distribution, only the jars of dev/solr/pom.xml.
 *
 *   java -cp 'LIB/*:CLASSES' SolrMain SOLR_HOME PORT
 *
 * Listens on 127.0.0.1:PORT under /solr, serves the cores found in SOLR_HOME,
 * and stops cleanly on SIGTERM (dev/services.sh stop_all).
 */
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

public final class SolrMain {
  private SolrMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: SolrMain SOLR_HOME PORT");
      System.exit(2);
    }
    Path home = Path.of(args[0]).toAbsolutePath();
    if (!Files.isRegularFile(home.resolve("solr.xml"))) {
      System.err.println("SolrMain: no solr.xml in " + home);
      System.exit(2);
    }
    JettyConfig config =
        JettyConfig.builder()
            .setPort(Integer.parseInt(args[1]))
            .setContext("/solr")
            .stopAtShutdown(false) // our hook below stops Solr before Jetty
            .waitForLoadingCoresToFinish(120_000L)
            .build();
    JettySolrRunner solr = new JettySolrRunner(home.toString(), config);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(solr), "solr-stop"));
    solr.start();
    System.out.println("Solr serving " + home + " on " + solr.getBaseUrl());
  }

  private static void stop(JettySolrRunner solr) {
    try {
      solr.stop();
    } catch (Exception e) {
      System.err.println("SolrMain: stopping Solr failed: " + e);
    }
  }
}
