package dev.veil.gateway.health;

import com.codahale.metrics.health.HealthCheck;
import dev.veil.gateway.db.Database;
import java.sql.Connection;

/** The spool table must answer. */
public final class DatabaseHealthCheck extends HealthCheck {
    private final Database database;

    public DatabaseHealthCheck(Database database) {
        this.database = database;
    }

    @Override
    protected Result check() throws Exception {
        // a query, not isValid(): H2 said a session of a database it had closed (disk full) was valid, and the check
        // stayed healthy while every statement failed (a black-box probe)
        try (Connection c = database.connection(); java.sql.Statement s = c.createStatement();
             java.sql.ResultSet r = s.executeQuery("SELECT COUNT(*) FROM spool WHERE 1 = 0")) {
            r.next();
            return Result.healthy();
        } catch (java.sql.SQLException e) {
            return Result.unhealthy("the database does not answer: " + e.getMessage());
        }
    }
}
