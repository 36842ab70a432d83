package dev.veil.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Folding a field whose lines pass 998 octets, as restoring real addresses can make them. */
class HeaderFieldFoldTest {

    private static String addresses(int count, String separator) {
        StringBuilder list = new StringBuilder();
        for (int i = 0; i < count; i++) {
            list.append(i == 0 ? "" : separator).append("\"Person, ").append(i).append("\" <person")
                    .append(i).append("@partner.example>");
        }
        return list.toString();
    }

    private static int longestLine(String field) {
        return Arrays.stream(field.split("\r\n")).mapToInt(String::length).max().orElse(0);
    }

    /** RFC 5322 unfolding: CRLF before white space goes. */
    private static String unfolded(String field) {
        return field.replaceAll("\r\n(?=[ \t])", "");
    }

    @Test
    void aShortFieldIsTheSameString() {
        String field = "To: bob@partner.example\r\n";
        assertThat(HeaderField.withLinesWithinLimit(field)).isSameAs(field);
    }

    @Test
    void aLongLineIsFoldedAtItsWhiteSpaceAndUnfoldsToTheSameValue() {
        String field = "To: " + addresses(60, ", ") + "\r\n";
        assertThat(longestLine(field)).isGreaterThan(HeaderField.MAX_LINE);
        String folded = HeaderField.withLinesWithinLimit(field);
        assertThat(longestLine(folded)).isLessThanOrEqualTo(HeaderField.MAX_LINE);
        assertThat(folded.split("\r\n")).hasSizeGreaterThan(2);
        assertThat(unfolded(folded)).isEqualTo(field);
        assertThat(folded).startsWith("To: \"Person, 0\"").endsWith(">\r\n");
    }

    @Test
    void withoutWhiteSpaceItFoldsAfterACommaBetweenItemsNeverInsideQuotes() {
        String list = addresses(60, ",").replace(" <", "<").replace("Person, ", "Person,");
        String field = "Cc:" + list + "\r\n";
        String folded = HeaderField.withLinesWithinLimit(field);
        assertThat(longestLine(folded)).isLessThanOrEqualTo(HeaderField.MAX_LINE);
        // every break follows a comma that ends an address, and unfolding adds one space there only
        for (String line : folded.split("\r\n")) {
            if (!line.startsWith("Cc:")) {
                assertThat(line).startsWith(" \"Person,");
            }
        }
        assertThat(unfolded(folded).replace(", \"", ",\"")).isEqualTo(field);
    }

    @Test
    void neverFoldsRightAfterTheColonNorLeavesAnEmptyLine() {
        String field = "References:  <" + "x".repeat(1200) + "@id>\r\n";
        assertThat(HeaderField.withLinesWithinLimit(field)).isEqualTo(field);
    }

    @Test
    void continuationLinesAreFoldedToo() {
        String field = "To: a@b.example,\r\n " + addresses(60, ", ") + "\r\n";
        String folded = HeaderField.withLinesWithinLimit(field);
        assertThat(longestLine(folded)).isLessThanOrEqualTo(HeaderField.MAX_LINE);
        assertThat(unfolded(folded)).isEqualTo(unfolded(field));
        assertThat(folded).doesNotContain("\r\n\r\n").doesNotContain("\r\n \r\n");
    }
}
