package dev.veil.gateway.contacts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veil.gateway.db.ContactJournalDao;
import dev.veil.gateway.db.ContactJournalDao.State;
import dev.veil.gateway.graph.ContactFolder;
import dev.veil.gateway.graph.ContactMapping;
import dev.veil.gateway.graph.ContactPhoto;
import dev.veil.gateway.graph.DeltaPage;
import dev.veil.gateway.graph.GraphClient;
import dev.veil.gateway.graph.GraphException;
import ezvcard.VCard;
import ezvcard.VCardVersion;
import ezvcard.parameter.ImageType;
import ezvcard.property.Photo;
import ezvcard.property.RawProperty;
import ezvcard.property.Uid;
import ezvcard.property.VCardProperty;
import java.io.IOException;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Keeps a mailbox's Exchange contacts sealed: real cards go to the vault ({@link ContactProtector}), Exchange gets only
 * the sealed version, through Graph. Every action is safe to re-run: contacts are matched by the vault id they carry
 * (a single-value extended property), so nothing is created twice, and a contact already sealed is never sealed again
 * (sealing a sealed contact would vault pseudonyms as if they were real data). One contact's failure is recorded in
 * the summary and the batch goes on.
 *
 * <p>Conflict rule (sync): Veil's own writes are recognised by the changeKey Graph gave them (journal). A sealed
 * contact changed by anyone else (Outlook) is merged property by property: a property whose value differs from what
 * Veil wrote is the user's edit and replaces the real one in the vault; a property the user left alone keeps its real
 * value; a property the user cleared is removed. The merged card is then re-sealed in place.
 *
 * <p>Photos (a separate Graph resource): a photo found in Exchange is vaulted with the real card, then replaced by
 * {@link PhotoPlaceholder}; a photo that is neither the placeholder nor the vaulted one is the user's edit.
 */
public final class ContactSync {

    /** Progress of one action (a bar on a terminal, nothing otherwise). */
    public interface Progress {
        void start(String what, int total);

        void advance();

        void finish();

        Progress NONE = new Progress() {
            @Override public void start(String what, int total) { }
            @Override public void advance() { }
            @Override public void finish() { }
        };
    }

    private final GraphClient graph;
    private final ContactProtector protector;
    private final ContactMapping mapping;
    private final ContactJournalDao journal;

    public ContactSync(GraphClient graph, ContactProtector protector, ContactMapping mapping, ContactJournalDao journal) {
        this.graph = graph;
        this.protector = protector;
        this.mapping = mapping;
        this.journal = journal;
    }

    /** Vaults the cards and creates (or updates) their sealed contacts; cards already there are left alone. */
    public SyncSummary importCards(String mailbox, List<VCardFiles.Card> cards, Progress progress) throws IOException {
        SyncSummary summary = new SyncSummary("import", mailbox);
        ContactFolder folder = ContactFolder.of(mailbox);
        Map<String, ObjectNode> byVaultId = new HashMap<>();
        for (ObjectNode c : graph.list(folder, ContactMapping.EXPAND_VAULT_ID)) {
            vaultId(c).ifPresent(v -> byVaultId.putIfAbsent(v, c));
        }
        progress.start("import " + mailbox, cards.size());
        ImportUids uids = new ImportUids();
        for (VCardFiles.Card card : cards) {
            try {
                if (!card.ok()) {
                    summary.error(card.where() + ": " + card.problem());
                    continue;
                }
                Optional<String> refused = uids.refusal(card); // before the seal: it would overwrite the vault row
                if (refused.isPresent()) {
                    summary.error(card.where() + ": " + refused.get());
                    continue;
                }
                VCard sealed = protector.seal(mailbox, card.card(), card.original());
                String vid = sealed.getUid().getValue();
                ObjectNode desired = mapping.toJson(sealed);
                ObjectNode existing = byVaultId.get(vid);
                journal.flush(); // the vault entry is on disk before Exchange gets its vault id
                if (existing == null) {
                    ObjectNode created = graph.create(folder, ContactMapping.writable(desired),
                            () -> findByVaultId(folder, vid));
                    journal.record(mailbox, created.path("id").asText(), vid, State.SEALED, changeKey(created));
                    byVaultId.put(vid, created);
                    summary.created++;
                } else {
                    // changed by someone else since Veil's last write (a photo set in Outlook, which the update
                    // below does not touch): no changeKey is recorded, so the next sync checks the contact
                    Optional<ContactJournalDao.Entry> known = journal.find(mailbox, existing.path("id").asText());
                    boolean veilsOwn = veilsOwnWrite(known, existing);
                    ObjectNode body = replacement(existing, desired);
                    if (differs(existing, body)) {
                        ObjectNode after = graph.update(folder, existing.path("id").asText(), body);
                        journal.record(mailbox, after.path("id").asText(), vid, State.SEALED,
                                veilsOwn ? changeKey(after) : null);
                        byVaultId.put(vid, after);
                        summary.updated++;
                    } else {
                        if (known.isEmpty()) {
                            journal.record(mailbox, existing.path("id").asText(), vid, State.SEALED, null);
                        }
                        summary.unchanged++;
                    }
                }
            } catch (ContactException | IOException | SQLException | RuntimeException e) {
                summary.error(card.where() + ": " + message(e));
            } finally {
                progress.advance();
            }
        }
        progress.finish();
        return summary;
    }

    /** Replaces every plaintext contact of the mailbox, in place, by its sealed version. Resumable. */
    public SyncSummary seal(String mailbox, Progress progress) throws IOException {
        SyncSummary summary = new SyncSummary("seal", mailbox);
        ContactFolder folder = ContactFolder.of(mailbox);
        List<ObjectNode> contacts = graph.list(folder, ContactMapping.EXPAND_VAULT_ID);
        progress.start("seal " + mailbox, contacts.size());
        for (ObjectNode contact : contacts) {
            String id = contact.path("id").asText();
            try {
                VCard seen = mapping.toVCard(contact);
                if (protector.isSealed(seen)) {
                    Optional<ContactJournalDao.Entry> entry = journal.find(mailbox, id);
                    if (entry.isPresent() && entry.get().state() == State.SEALED) {
                        adopt(mailbox, id, seen.getUid().getValue(), contact);
                        summary.alreadySealed++;
                    } else if (reconcile(mailbox, folder, contact, seen) == Outcome.UNCHANGED) {
                        // no record that its seal finished (stopped between the PATCH and the photo): checked
                        summary.alreadySealed++;
                    } else {
                        summary.sealed++;
                    }
                } else {
                    try {
                        sealInPlace(mailbox, folder, contact, seen);
                    } catch (GraphException e) {
                        if (!e.changedMeanwhile()) {
                            throw e;
                        }
                        // edited in Outlook between Veil's read and its PATCH: the PATCH (If-Match) was refused, so
                        // the edit stands; seal the contact as it is now, once (a second conflict is an error)
                        ObjectNode fresh = graph.get(folder, id, ContactMapping.EXPAND_VAULT_ID);
                        VCard now = mapping.toVCard(fresh);
                        if (protector.isSealed(now)) {
                            adopt(mailbox, id, now.getUid().getValue(), fresh);
                            summary.alreadySealed++;
                            continue;
                        }
                        sealInPlace(mailbox, folder, fresh, now);
                    }
                    summary.sealed++;
                }
            } catch (ContactException | IOException | SQLException | RuntimeException e) {
                summary.error("contact " + id + ": " + message(e));
            } finally {
                progress.advance();
            }
        }
        progress.finish();
        return summary;
    }

    /**
     * A delta round: seals contacts created or edited in Outlook, merges Outlook edits of sealed contacts into the
     * vault (conflict rule above), forgets the real data of deleted ones. The next round starts where this one
     * ended, unless something failed: then the same round is repeated next time (every step is idempotent).
     */
    public SyncSummary sync(String mailbox, Progress progress) throws IOException {
        SyncSummary summary = new SyncSummary("sync", mailbox);
        ContactFolder folder = ContactFolder.of(mailbox);
        DeltaPage page;
        try {
            page = graph.delta(folder, journal.deltaLink(mailbox), "");
        } catch (SQLException e) {
            throw new IOException("cannot read the delta link of " + mailbox + ": " + e.getMessage(), e);
        }
        progress.start("sync " + mailbox, page.changed().size() + page.removed().size());
        for (String id : page.removed()) {
            try {
                Optional<ContactJournalDao.Entry> entry = journal.find(mailbox, id);
                if (entry.isPresent()) {
                    journal.remove(mailbox, id);
                    if (journal.references(mailbox, entry.get().vaultId()) == 0) {
                        protector.forget(mailbox, entry.get().vaultId());
                    }
                    summary.removed++;
                }
            } catch (ContactException | SQLException | RuntimeException e) {
                summary.error("removed contact " + id + ": " + message(e));
            } finally {
                progress.advance();
            }
        }
        for (ObjectNode changed : page.changed()) {
            String id = changed.path("id").asText();
            try {
                ObjectNode contact;
                try {
                    // delta rounds do not carry extended properties: read the contact with its vault id
                    contact = graph.get(folder, id, ContactMapping.EXPAND_VAULT_ID);
                } catch (GraphException e) {
                    if (e.status() == 404) {
                        continue; // deleted since; the next round reports the removal
                    }
                    throw e;
                }
                VCard seen = mapping.toVCard(contact);
                if (!protector.isSealed(seen)) {
                    sealInPlace(mailbox, folder, contact, seen);
                    summary.sealed++;
                    continue;
                }
                if (veilsOwnWrite(journal.find(mailbox, id), contact)) {
                    summary.unchanged++; // Veil's own write
                    continue;
                }
                // changed by someone else, or no record that Veil's seal of it finished
                switch (reconcile(mailbox, folder, contact, seen)) {
                    case MERGED -> summary.updated++;
                    case PHOTO_REPLACED -> summary.sealed++;
                    case UNCHANGED -> summary.unchanged++;
                }
            } catch (ContactException | IOException | SQLException | RuntimeException e) {
                summary.error("contact " + id + ": " + message(e));
            } finally {
                progress.advance();
            }
        }
        if (summary.failed() == 0) {
            try {
                journal.saveDeltaLink(mailbox, page.deltaLink());
            } catch (SQLException e) {
                summary.error("cannot save the delta link: " + e.getMessage());
            }
        }
        progress.finish();
        return summary;
    }

    /**
     * After a pseudonym key rotation: re-seals in place every sealed contact whose vault id an older key version made,
     * so Exchange holds pseudonyms and a vault id under the current version only. A contact edited in Outlook since
     * Veil wrote it is merged first (conflict rule). Resumable: contacts already under the current version are left
     * alone; a crash between the vault and the PATCH is redone on the next run (the contact still has its old id).
     */
    public SyncSummary rekey(String mailbox, Progress progress) throws IOException {
        SyncSummary summary = new SyncSummary("rekey", mailbox);
        ContactFolder folder = ContactFolder.of(mailbox);
        List<ObjectNode> contacts = graph.list(folder, ContactMapping.EXPAND_VAULT_ID);
        progress.start("rekey " + mailbox, contacts.size());
        for (ObjectNode contact : contacts) {
            String id = contact.path("id").asText();
            try {
                VCard seen = mapping.toVCard(contact);
                if (!protector.isSealed(seen)) {
                    summary.plaintext++; // veil contacts seal (or sync) seals it, under the current version
                    continue;
                }
                String vid = seen.getUid().getValue();
                if (!protector.isStale(vid)) {
                    summary.unchanged++;
                    continue;
                }
                if (veilsOwnWrite(journal.find(mailbox, id), contact)) {
                    resealInPlace(mailbox, folder, contact, vid);
                } else if (reconcile(mailbox, folder, contact, seen) != Outcome.MERGED) {
                    // nothing to merge (at most the placeholder was written, which changed the contact's version):
                    // re-seal what Exchange holds now
                    resealInPlace(mailbox, folder, graph.get(folder, id, ContactMapping.EXPAND_VAULT_ID), vid);
                }
                summary.updated++;
            } catch (ContactException | IOException | SQLException | RuntimeException e) {
                summary.error("contact " + id + ": " + message(e));
            } finally {
                progress.advance();
            }
        }
        progress.finish();
        return summary;
    }

    /**
     * The real cards of the mailbox: sealed contacts revealed from the vault (with the bytes they were imported from,
     * if unchanged since), contacts not sealed yet as they are.
     */
    public List<VaultedCard> export(String mailbox, SyncSummary summary, Progress progress) throws IOException {
        ContactFolder folder = ContactFolder.of(mailbox);
        List<ObjectNode> contacts = graph.list(folder, ContactMapping.EXPAND_VAULT_ID);
        progress.start("export " + mailbox, contacts.size());
        List<VaultedCard> cards = new ArrayList<>();
        for (ObjectNode contact : contacts) {
            String id = contact.path("id").asText();
            try {
                VCard seen = mapping.toVCard(contact);
                if (protector.isSealed(seen)) {
                    String vid = seen.getUid().getValue();
                    cards.add(protector.revealVaulted(mailbox, vid).orElseThrow(() -> new ContactException(
                            "carries vault id " + vid + " but the vault has no entry for it (deleted, or another"
                                    + " Veil's vault)")));
                } else {
                    cards.add(VaultedCard.of(real(seen)));
                    summary.plaintext++;
                }
                summary.exported++;
            } catch (ContactException | RuntimeException e) {
                summary.error("contact " + id + ": " + message(e));
            } finally {
                progress.advance();
            }
        }
        progress.finish();
        return cards;
    }

    // ---------------------------------------------------------------- steps

    /**
     * Vault, then replace in place. The order is what makes a kill at any point safe (CONTACTS.md, "Photos"): the
     * photo is read and vaulted with the card, and the journal says VAULTED, on disk, before Exchange changes at all;
     * the PATCH gives the contact its vault id; only then is the photo replaced by the placeholder (a re-run finds a
     * sealed contact without a SEALED record and finishes it: {@link #reconcile}); SEALED last.
     */
    private void sealInPlace(String mailbox, ContactFolder folder, ObjectNode contact, VCard seen)
            throws ContactException, IOException, SQLException {
        String id = contact.path("id").asText();
        Optional<ContactPhoto> photo = realPhoto(folder, id);
        VCard real = real(seen);
        photo.ifPresent(p -> real.addPhoto(photoProperty(p)));
        writeSealed(mailbox, folder, contact, protector.seal(mailbox, real), photo.isPresent());
    }

    /**
     * Puts the sealed version (already vaulted) in place of {@code contact}: journal VAULTED, on disk, before Exchange
     * changes; one PATCH with the version read ({@code If-Match}: an edit made in Outlook meanwhile is not overwritten
     * with older data); the placeholder over a real photo; journal SEALED last. Every seal, merge and re-seal goes
     * through here, so the order that makes a kill at any point safe is in one place.
     */
    private void writeSealed(String mailbox, ContactFolder folder, ObjectNode contact, VCard sealed, boolean replacePhoto)
            throws IOException, SQLException {
        String id = contact.path("id").asText();
        String vid = sealed.getUid().getValue();
        journal.record(mailbox, id, vid, State.VAULTED, null);
        journal.flush();
        ObjectNode after = graph.update(folder, id, replacement(contact, mapping.toJson(sealed)), etag(contact));
        if (replacePhoto) {
            graph.putPhoto(folder, id, PhotoPlaceholder.photo());
        }
        // the PATCH's changeKey, although the photo changed the contact again: the next delta round then checks the
        // photo once more (a photo set in Outlook after the PUT is not mistaken for Veil's write)
        journal.record(mailbox, id, vid, State.SEALED, changeKey(after));
    }

    /** A sealed contact again under the current keys: the same real card (and original bytes), new pseudonyms. */
    private void resealInPlace(String mailbox, ContactFolder folder, ObjectNode contact, String oldVid)
            throws ContactException, IOException, SQLException {
        VaultedCard real = protector.revealVaulted(mailbox, oldVid).orElseThrow(() -> new ContactException(
                "carries vault id " + oldVid + " but the vault has no entry for it; left as it is"));
        // a refused PATCH (edited in Outlook since the read) fails this contact for this run; the next run merges it
        writeSealed(mailbox, folder, contact, protector.seal(mailbox, real.card(), real.original()), false);
    }

    /** What {@link #reconcile} did. */
    private enum Outcome { UNCHANGED, PHOTO_REPLACED, MERGED }

    /**
     * A sealed contact that may not be as Veil left it: changed by someone else (Outlook), or sealed by a run that
     * stopped before its SEALED record. The conflict rule: the user's edits (properties that differ from what Veil
     * wrote, and a photo that is neither the placeholder nor the vaulted one) win, per property; the merged card is
     * vaulted and re-sealed in place. A real photo still in Exchange is replaced by the placeholder after the card
     * holding it is vaulted. When nothing changed, only the journal learns the contact's changeKey.
     *
     * <p>The changeKey recorded is always one read before the state that was checked (the contact, then its photo),
     * or the one a PATCH returned: a later change has another changeKey, so the next delta round checks it again.
     */
    private Outcome reconcile(String mailbox, ContactFolder folder, ObjectNode contact, VCard seen)
            throws ContactException, IOException, SQLException {
        String id = contact.path("id").asText();
        String oldVid = seen.getUid().getValue();
        VCard real = protector.reveal(mailbox, oldVid).orElseThrow(() -> new ContactException(
                "carries vault id " + oldVid + " but the vault has no entry for it; left as it is"));
        Optional<ContactPhoto> photo = realPhoto(folder, id);
        // what Veil wrote (as stored with the vault row, or made again under the key version that wrote it: after a
        // rotation the current keys make other pseudonyms, and every property would look edited), as read back,
        // without its vault id: the UID is not an edit (compared, it was always "changed", and the merge dropped the
        // real card's own UID)
        VCard wrote = real(mapping.toVCard(mapping.toJson(protector.sealedForm(mailbox, real, oldVid))));
        VCard now = real(seen);
        VCard merged = new VCard(real);
        boolean changed = false;
        Set<String> keys = new LinkedHashSet<>(keys(wrote));
        keys.addAll(keys(now));
        for (String key : keys) {
            List<VCardProperty> before = properties(wrote, key);
            List<VCardProperty> after = properties(now, key);
            if (!before.equals(after)) {
                changed = true;
                List<VCardProperty> values = mergedValues(mailbox, oldVid, real, key, before, after);
                for (VCardProperty p : properties(merged, key)) {
                    merged.removeProperty(p);
                }
                values.forEach(p -> merged.addProperty(p.copy()));
            }
        }
        // a photo Exchange holds that the vault does not: the user's new one. (No photo at all is not a removal:
        // Graph cannot tell a photo removed in Outlook from a contact Veil never gave a placeholder.)
        if (photo.isPresent() && real.getPhotos().stream().noneMatch(p -> photo.get().sameBytes(p.getData()))) {
            changed = true;
            merged.removeProperties(Photo.class);
            merged.addPhoto(photoProperty(photo.get()));
        }
        if (!changed) {
            if (photo.isPresent()) {
                graph.putPhoto(folder, id, PhotoPlaceholder.photo()); // its seal stopped before the placeholder
            }
            journal.record(mailbox, id, oldVid, State.SEALED, changeKey(contact));
            return photo.isPresent() ? Outcome.PHOTO_REPLACED : Outcome.UNCHANGED;
        }
        VCard sealed = protector.seal(mailbox, merged);
        String vid = sealed.getUid().getValue();
        // a refused PATCH (edited again meanwhile) fails this contact for this round; the next delta brings it back
        writeSealed(mailbox, folder, contact, sealed, photo.isPresent());
        // an old id from before a key rotation may name the re-sealed row itself (its previous id): the vault's
        // re-seal job merges such rows, forgetting it here could delete the card just vaulted
        if (!vid.equals(oldVid) && !protector.isStale(oldVid) && journal.references(mailbox, oldVid) == 0) {
            protector.forget(mailbox, oldVid);
        }
        return Outcome.MERGED;
    }

    /**
     * The real values of one kind of property after an Outlook edit, value by value: a real value whose sealed form
     * Exchange still shows is kept (the user did not touch it), one whose sealed form is gone is dropped (the user
     * changed or removed it), and what Exchange shows that Veil did not write is the user's new value. A real value
     * Exchange never showed, or whose sealed form cannot be told (made differently now), is kept. Replacing the whole
     * kind with what Exchange shows put the other values' pseudonyms into the vault in place of the real ones (a
     * black-box probe changed a mobile number in Outlook, and the vault's business and home numbers became their
     * pseudonyms).
     */
    private List<VCardProperty> mergedValues(String mailbox, String vaultId, VCard real, String key,
                                             List<VCardProperty> before, List<VCardProperty> after)
            throws ContactException {
        List<VCardProperty> unclaimedBefore = new ArrayList<>(before);
        List<VCardProperty> unclaimedAfter = new ArrayList<>(after);
        List<VCardProperty> values = new ArrayList<>();
        for (VCardProperty value : properties(real, key)) {
            VCard alone = new VCard(real.getVersion() == null ? VCardVersion.V3_0 : real.getVersion());
            alone.addProperty(value.copy());
            List<VCardProperty> shown = properties(real(mapping.toVCard(mapping.toJson(
                    protector.sealedAnew(mailbox, alone, vaultId)))), key);
            if (shown.isEmpty() || !removeAll(unclaimedBefore, shown)) {
                values.add(value); // Exchange never showed it, or not as made now: nothing says the user changed it
            } else if (removeAll(unclaimedAfter, shown)) {
                values.add(value);
            }
        }
        for (VCardProperty shownNow : unclaimedAfter) {
            if (!before.contains(shownNow)) {
                values.add(shownNow); // typed in Outlook
            }
        }
        return values;
    }

    /** Removes each of {@code some} from {@code from} once, if all are there; false (and nothing removed) if not. */
    private static boolean removeAll(List<VCardProperty> from, List<VCardProperty> some) {
        List<VCardProperty> rest = new ArrayList<>(from);
        for (VCardProperty p : some) {
            if (!rest.remove(p)) {
                return false;
            }
        }
        from.clear();
        from.addAll(rest);
        return true;
    }

    /**
     * The contact's photo in Exchange if it is one to vault: empty when it has none or has the placeholder. One
     * request; a failure (after Graph's retries) is the contact's failure, so nothing is sealed with the real photo
     * left behind unrecorded.
     */
    private Optional<ContactPhoto> realPhoto(ContactFolder folder, String id) throws IOException {
        return graph.photo(folder, id).filter(p -> !PhotoPlaceholder.is(p));
    }

    /** The vCard form of a Graph photo; ez-vcard writes it as each card's version does (4.0 data URI, 3.0 ENCODING=b). */
    static Photo photoProperty(ContactPhoto photo) {
        return new Photo(photo.bytes(), ImageType.get(null, photo.contentType(), null));
    }

    /** Whether the contact is as Veil's finished seal left it: the journal says SEALED with the changeKey it has now. */
    private static boolean veilsOwnWrite(Optional<ContactJournalDao.Entry> entry, ObjectNode contact) {
        return entry.isPresent() && entry.get().state() == State.SEALED && entry.get().changeKey() != null
                && entry.get().changeKey().equals(changeKey(contact));
    }

    /** A sealed contact the journal does not know as sealed (a run killed after its PATCH): record it. */
    private void adopt(String mailbox, String id, String vid, ObjectNode contact) throws SQLException {
        Optional<ContactJournalDao.Entry> entry = journal.find(mailbox, id);
        if (entry.isEmpty() || entry.get().state() != State.SEALED || !vid.equals(entry.get().vaultId())) {
            journal.record(mailbox, id, vid, State.SEALED, changeKey(contact));
        }
    }

    // ---------------------------------------------------------------- helpers

    /** The version Graph gave with the contact ({@code @odata.etag}), for a conditional update; "" when absent. */
    private static String etag(ObjectNode contact) {
        return contact.path("@odata.etag").asText("");
    }

    /**
     * The PATCH body that turns {@code current} into exactly {@code sealed}: the sealed fields, and every other field
     * the contact has cleared (null, or [] for lists), so no plaintext field survives the replacement.
     */
    static ObjectNode replacement(ObjectNode current, ObjectNode sealed) {
        ObjectNode body = ContactMapping.writable(sealed);
        Iterator<Map.Entry<String, JsonNode>> fields = current.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            String name = f.getKey();
            if (body.has(name) || name.startsWith("@") || ContactMapping.READ_ONLY.contains(name)
                    || name.endsWith("ExtendedProperties") || ContactMapping.empty(f.getValue())) {
                continue;
            }
            body.set(name, f.getValue().isArray() ? JsonNodeFactory.instance.arrayNode() : JsonNodeFactory.instance.nullNode());
        }
        return body;
    }

    /** Whether sending {@code body} would change {@code existing}. */
    static boolean differs(ObjectNode existing, ObjectNode body) {
        Iterator<Map.Entry<String, JsonNode>> fields = body.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            if (f.getKey().equals("singleValueExtendedProperties")) {
                continue; // matched by it
            }
            JsonNode had = existing.get(f.getKey());
            boolean bothEmpty = ContactMapping.empty(had) && ContactMapping.empty(f.getValue());
            if (!bothEmpty && !f.getValue().equals(had)) {
                return true;
            }
        }
        return false;
    }

    /** The contact of the folder that carries this vault id (a create whose answer was lost may have stored it). */
    private Optional<ObjectNode> findByVaultId(ContactFolder folder, String vid) throws IOException {
        for (ObjectNode c : graph.list(folder, ContactMapping.EXPAND_VAULT_ID)) {
            if (vaultId(c).filter(vid::equals).isPresent()) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    private Optional<String> vaultId(ObjectNode contact) {
        VCard card = mapping.toVCard(contact);
        return protector.isSealed(card) ? Optional.of(card.getUid().getValue()) : Optional.empty();
    }

    /** The contact itself, without what Graph keeps about it (id, changeKey, timestamps) and without a vault id. */
    private static VCard real(VCard fromGraph) {
        VCard card = new VCard(fromGraph);
        ContactMapping.METADATA.forEach(card::removeExtendedProperty);
        card.removeProperties(Uid.class);
        return card;
    }

    private static String key(VCardProperty p) {
        return p instanceof RawProperty raw ? "X:" + raw.getPropertyName().toUpperCase(Locale.ROOT)
                : p.getClass().getName();
    }

    private static Set<String> keys(VCard card) {
        Set<String> keys = new LinkedHashSet<>();
        card.getProperties().forEach(p -> keys.add(key(p)));
        return keys;
    }

    private static List<VCardProperty> properties(VCard card, String key) {
        List<VCardProperty> out = new ArrayList<>();
        card.getProperties().forEach(p -> {
            if (key(p).equals(key)) {
                out.add(p);
            }
        });
        return out;
    }

    private static String changeKey(ObjectNode contact) {
        JsonNode k = contact.path("changeKey");
        return k.isTextual() ? k.asText() : null;
    }

    private static String message(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
