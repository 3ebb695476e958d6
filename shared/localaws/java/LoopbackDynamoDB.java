// Starts DynamoDB Local listening on 127.0.0.1 only. DynamoDB Local has no
// bind-address option: its DynamoDBProxyServer builds a Jetty Server(port),
// whose connector listens on every interface. This launcher lets DynamoDB
// Local parse its usual command line and build its server, sets the host of
// that server's connectors to loopback, and only then starts it.
//
// Run in source-file mode (no build step), with DynamoDB Local on the class
// path:
//   java -Djava.library.path=DynamoDBLocal_lib -cp 'DynamoDBLocal.jar:DynamoDBLocal_lib/*' \
//     LoopbackDynamoDB.java -port 8000 -sharedDb -inMemory
import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

public class LoopbackDynamoDB {
    public static void main(String[] args) throws Exception {
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
        // DynamoDB Local 1.25.1 keeps the Jetty server in a private field.
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server server = (Server) field.get(proxy);
        Connector[] connectors = server.getConnectors();
        if (connectors.length == 0) {
            throw new IllegalStateException("DynamoDB Local built a server without connectors");
        }
        for (Connector c : connectors) {
            if (!(c instanceof ServerConnector)) {
                // Refuse to start rather than listen somewhere unexpected.
                throw new IllegalStateException("unexpected connector " + c.getClass().getName());
            }
            ((ServerConnector) c).setHost("127.0.0.1");
        }
        proxy.start();
        System.err.println("DynamoDB Local listening on 127.0.0.1:" + ((ServerConnector) connectors[0]).getPort());
    }
}
