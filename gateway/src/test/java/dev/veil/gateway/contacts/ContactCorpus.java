package dev.veil.gateway.contacts;

import ezvcard.VCard;
import ezvcard.VCardVersion;
import ezvcard.io.text.VCardReader;
import ezvcard.io.text.VCardWriter;
import ezvcard.property.VCardProperty;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** The shared corpus's vCard files ({@code ../shared/corpus/contacts} beside the repository, or {@code -Dveil.corpus=DIR}). */
final class ContactCorpus {
    private ContactCorpus() {
    }

    static Path dir() {
        String configured = System.getProperty("veil.corpus", System.getenv("VEIL_CORPUS"));
        Path corpus = configured != null && !configured.isBlank() ? Path.of(configured)
                : Path.of("").toAbsolutePath().getParent().getParent().resolve("shared").resolve("corpus");
        Path contacts = corpus.resolve("contacts");
        if (!Files.isDirectory(contacts)) {
            throw new IllegalStateException("no contacts corpus at " + contacts + " (set -Dveil.corpus=DIR)");
        }
        return contacts;
    }

    /** Every .vcf file of the corpus (at least 30, or the corpus is not where we think). */
    static List<Path> vcfFiles() {
        try (Stream<Path> files = Files.list(dir())) {
            List<Path> all = files.filter(p -> p.getFileName().toString().endsWith(".vcf")).sorted().toList();
            if (all.size() < 30) {
                throw new IllegalStateException("expected the whole vCard corpus in " + dir() + ", found " + all.size());
            }
            return all;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The card written as vCard text in {@code version}, as an export would. */
    static String write(VCard card, VCardVersion version) {
        StringWriter out = new StringWriter();
        try (VCardWriter w = new VCardWriter(out, version)) {
            w.setAddProdId(false);
            w.setVersionStrict(false);
            w.write(card);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    static VCard parseOne(String text) {
        try (VCardReader r = new VCardReader(text)) {
            return r.readNext();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Properties in a canonical order, so two cards compare property for property (name, group, parameters, value). */
    static List<VCardProperty> properties(VCard card) {
        List<VCardProperty> all = new ArrayList<>(card.getProperties());
        all.sort(Comparator.comparing((VCardProperty p) -> p.getClass().getName()).thenComparing(VCardProperty::toString));
        return all;
    }
}
