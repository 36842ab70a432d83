package dev.veil.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.Node;

/** Collects every problem of one load, located at the YAML node it is about (SnakeYAML marks are 0-based). */
final class Problems {
    private final String file;
    private final List<Problem> list = new ArrayList<>();

    Problems(String file) {
        this.file = file;
    }

    void error(Node at, String message) {
        add(Problem.Severity.ERROR, at.getStartMark(), message);
    }

    void warning(Node at, String message) {
        add(Problem.Severity.WARNING, at.getStartMark(), message);
    }

    void error(Mark at, String message) {
        add(Problem.Severity.ERROR, at, message);
    }

    void errorAt(int line, int column, String message) {
        list.add(new Problem(Problem.Severity.ERROR, file, line, column, message));
    }

    private void add(Problem.Severity severity, Mark mark, String message) {
        list.add(new Problem(severity, file, mark.getLine() + 1, mark.getColumn() + 1, message));
    }

    boolean hasErrors() {
        return list.stream().anyMatch(p -> p.severity() == Problem.Severity.ERROR);
    }

    /** In file order, so the output reads top to bottom like a compiler's. */
    List<Problem> sorted() {
        List<Problem> out = new ArrayList<>(list);
        out.sort(Comparator.comparingInt(Problem::line).thenComparingInt(Problem::column));
        return out;
    }
}
