package dev.veil.gateway.graph;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import ezvcard.Ezvcard;
import ezvcard.VCard;
import ezvcard.parameter.AddressType;
import ezvcard.parameter.EmailType;
import ezvcard.parameter.TelephoneType;
import ezvcard.property.Address;
import ezvcard.property.Email;
import ezvcard.property.Telephone;
import java.time.LocalDate;
import org.junit.jupiter.api.Test;

/** The mapping of CONTACTS.md, field by field, both ways. */
class ContactMappingTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ContactMapping v1 = new ContactMapping(ContactMapping.Dialect.V1);
    private final ContactMapping beta = new ContactMapping(ContactMapping.Dialect.BETA);

    private static ObjectNode json(String text) throws Exception {
        return (ObjectNode) JSON.readTree(text.replace('\'', '"'));
    }

    @Test
    void v1FieldsBecomeTheirVCardProperties() throws Exception {
        ObjectNode c = json("""
                {'id':'AAMk1','changeKey':'EQ1','createdDateTime':'2017-09-04T15:54:01Z',
                 'lastModifiedDateTime':'2017-09-04T15:54:02Z','parentFolderId':'AAF','@odata.etag':'W/\\u0022EQ1\\u0022',
                 'displayName':'Dr. Garth Fort Jr.','givenName':'Garth','surname':'Fort','middleName':'Q',
                 'title':'Dr.','generation':'Jr.','nickName':'G','initials':'G.F.','fileAs':'Fort, Garth',
                 'yomiGivenName':'gaasu','yomiSurname':'footo','yomiCompanyName':'kontoso',
                 'companyName':'Contoso','department':'Sales','jobTitle':'Manager','profession':'Marketer',
                 'officeLocation':'20/1101','manager':'Mona','assistantName':'Ann','spouseName':'Sue',
                 'children':['Kim','Lee'],'imAddresses':['sip:garth@contoso.com'],'personalNotes':'likes tea',
                 'categories':['Red','VIP'],'birthday':'1974-07-22T00:00:00Z','businessHomePage':'https://contoso.com',
                 'emailAddresses':[{'name':'Garth','address':'garth@contoso.com'}],
                 'businessPhones':['+1 918 555 0101'],'homePhones':['+1 918 555 0102'],'mobilePhone':'+1 918 555 0103',
                 'homeAddress':{'street':'1 Home Rd','city':'Tulsa','state':'OK','countryOrRegion':'USA','postalCode':'74101'},
                 'businessAddress':{'street':'123 Some street','city':'Seattle'},
                 'otherAddress':{'city':'Paris'},
                 'singleValueExtendedProperties':[{'id':'%s','value':'veil-abc'}]}
                """.formatted(ContactMapping.VAULT_ID_PROPERTY));
        VCard card = v1.toVCard(c);
        assertThat(card.getFormattedName().getValue()).isEqualTo("Dr. Garth Fort Jr.");
        assertThat(card.getStructuredName().getFamily()).isEqualTo("Fort");
        assertThat(card.getStructuredName().getGiven()).isEqualTo("Garth");
        assertThat(card.getStructuredName().getAdditionalNames()).containsExactly("Q");
        assertThat(card.getStructuredName().getPrefixes()).containsExactly("Dr.");
        assertThat(card.getStructuredName().getSuffixes()).containsExactly("Jr.");
        assertThat(card.getNickname().getValues()).containsExactly("G");
        assertThat(raw(card, "X-MS-INITIALS")).isEqualTo("G.F.");
        assertThat(raw(card, "X-MS-FILE-AS")).isEqualTo("Fort, Garth");
        assertThat(raw(card, "X-PHONETIC-FIRST-NAME")).isEqualTo("gaasu");
        assertThat(raw(card, "X-PHONETIC-LAST-NAME")).isEqualTo("footo");
        assertThat(raw(card, "X-PHONETIC-ORG")).isEqualTo("kontoso");
        assertThat(card.getOrganization().getValues()).containsExactly("Contoso", "Sales");
        assertThat(card.getTitles().get(0).getValue()).isEqualTo("Manager");
        assertThat(card.getRoles().get(0).getValue()).isEqualTo("Marketer");
        assertThat(raw(card, "X-MS-OFFICE-LOCATION")).isEqualTo("20/1101");
        assertThat(raw(card, "X-MS-MANAGER")).isEqualTo("Mona");
        assertThat(raw(card, "X-MS-ASSISTANT")).isEqualTo("Ann");
        assertThat(raw(card, "X-MS-SPOUSE")).isEqualTo("Sue");
        assertThat(card.getExtendedProperties("X-MS-CHILD")).extracting(p -> p.getValue()).containsExactly("Kim", "Lee");
        assertThat(raw(card, "X-MS-IMADDRESS")).isEqualTo("sip:garth@contoso.com");
        assertThat(card.getNotes().get(0).getValue()).isEqualTo("likes tea");
        assertThat(card.getCategories().getValues()).containsExactly("Red", "VIP");
        // v1.0 writes Outlook's birthday (a day) as midnight UTC: it is that day in the vCard
        assertThat(card.getBirthday().getDate()).isEqualTo(LocalDate.of(1974, 7, 22));
        assertThat(card.getUrls().get(0).getValue()).isEqualTo("https://contoso.com");
        assertThat(card.getUrls().get(0).getType()).isEqualTo("work");
        Email email = card.getEmails().get(0);
        assertThat(email.getValue()).isEqualTo("garth@contoso.com");
        assertThat(email.getParameters().first("X-MS-NAME")).isEqualTo("Garth");
        assertThat(card.getTelephoneNumbers()).extracting(Telephone::getText)
                .containsExactly("+1 918 555 0101", "+1 918 555 0102", "+1 918 555 0103");
        assertThat(card.getTelephoneNumbers().get(0).getTypes()).contains(TelephoneType.WORK);
        assertThat(card.getTelephoneNumbers().get(1).getTypes()).contains(TelephoneType.HOME);
        assertThat(card.getTelephoneNumbers().get(2).getTypes()).containsExactly(TelephoneType.CELL);
        Address home = card.getAddresses().get(0);
        assertThat(home.getTypes()).containsExactly(AddressType.HOME);
        assertThat(home.getStreetAddress()).isEqualTo("1 Home Rd");
        assertThat(home.getLocality()).isEqualTo("Tulsa");
        assertThat(home.getRegion()).isEqualTo("OK");
        assertThat(home.getCountry()).isEqualTo("USA");
        assertThat(home.getPostalCode()).isEqualTo("74101");
        assertThat(card.getAddresses().get(1).getTypes()).containsExactly(AddressType.WORK);
        assertThat(card.getAddresses().get(2).getParameters().first("X-MS-TYPE")).isEqualTo("other");
        assertThat(card.getUid().getValue()).isEqualTo("veil-abc");
        assertThat(raw(card, "X-MS-GRAPH-ID")).isEqualTo("AAMk1");
        assertThat(raw(card, "X-MS-GRAPH-CHANGEKEY")).isEqualTo("EQ1");
        assertThat(raw(card, "X-MS-GRAPH-CREATED")).isEqualTo("2017-09-04T15:54:01Z");
        assertThat(raw(card, "X-MS-GRAPH-MODIFIED")).isEqualTo("2017-09-04T15:54:02Z");
        assertThat(raw(card, "X-MS-GRAPH-FOLDER")).isEqualTo("AAF");
        assertThat(raw(card, "X-MS-GRAPH-ETAG")).isEqualTo("W/\"EQ1\"");
        assertThat(card.getExtendedProperties("X-MS-GRAPH-FIELD")).isEmpty();

        assertThat(v1.toJson(card)).isEqualTo(c);
    }

    @Test
    void betaTypedListsKeepTheirTypesAndLabels() throws Exception {
        ObjectNode c = json("""
                {'emailAddresses':[{'type':'other','otherLabel':'Volunteer work','name':'E','address':'e@f.example'},
                                   {'type':'personal','address':'e@home.example'}],
                 'phones':[{'type':'businessFax','number':'+1 555 0100'},{'type':'radio','number':'+1 555 0101'}],
                 'postalAddresses':[{'type':'business','postOfficeBox':'P.O. Box 100','street':'1 Way','city':'Oslo'}],
                 'websites':[{'type':'work','address':'https://contoso.com','name':'Contoso'}],
                 'gender':'female','weddingAnniversary':'2001-05-05','birthday':'1974-07-22'}
                """);
        VCard card = beta.toVCard(c);
        assertThat(card.getEmails().get(0).getParameters().first("X-MS-LABEL")).isEqualTo("Volunteer work");
        assertThat(card.getEmails().get(0).getParameters().first("X-MS-TYPE")).isEqualTo("other");
        assertThat(card.getEmails().get(1).getTypes()).containsExactly(EmailType.HOME);
        assertThat(card.getTelephoneNumbers().get(0).getTypes()).containsExactly(TelephoneType.WORK, TelephoneType.FAX);
        assertThat(card.getTelephoneNumbers().get(1).getParameters().first("X-MS-TYPE")).isEqualTo("radio");
        assertThat(card.getAddresses().get(0).getPoBox()).isEqualTo("P.O. Box 100");
        assertThat(card.getUrls().get(0).getParameters().first("X-MS-NAME")).isEqualTo("Contoso");
        assertThat(raw(card, "X-MS-GENDER")).isEqualTo("female");
        assertThat(card.getAnniversary().getDate()).isEqualTo(LocalDate.of(2001, 5, 5));
        assertThat(card.getBirthday().getDate()).isEqualTo(LocalDate.of(1974, 7, 22));
        assertThat(beta.toJson(card)).isEqualTo(c);
    }

    @Test
    void aUsersVCardBecomesGraphFields() throws Exception {
        VCard card = Ezvcard.parse("""
                BEGIN:VCARD
                VERSION:3.0
                UID:veil-xyz
                FN:Anna Smith
                N:Smith;Anna;;;
                EMAIL;TYPE=INTERNET,WORK:anna@work.example
                TEL;TYPE=CELL:+44 7700 900000
                TEL;TYPE=HOME:+44 20 7946 0000
                TEL;TYPE=WORK,FAX:+44 20 7946 0001
                ADR;TYPE=HOME:;;1 High St;London;;N1 1AA;UK
                BDAY:1990-01-31
                URL:https://anna.example
                END:VCARD
                """).first();
        ObjectNode j = v1.toJson(card);
        assertThat(j.path("displayName").asText()).isEqualTo("Anna Smith");
        assertThat(j.path("surname").asText()).isEqualTo("Smith");
        assertThat(j.path("emailAddresses").get(0).path("address").asText()).isEqualTo("anna@work.example");
        assertThat(j.path("mobilePhone").asText()).isEqualTo("+44 7700 900000");
        assertThat(j.path("homePhones").get(0).asText()).isEqualTo("+44 20 7946 0000");
        assertThat(j.path("businessPhones").get(0).asText()).isEqualTo("+44 20 7946 0001");
        assertThat(j.path("homeAddress").path("street").asText()).isEqualTo("1 High St");
        assertThat(j.path("homeAddress").path("postalCode").asText()).isEqualTo("N1 1AA");
        assertThat(j.path("birthday").asText()).isEqualTo("1990-01-31T00:00:00Z"); // v1.0 takes a DateTimeOffset
        assertThat(j.path("businessHomePage").asText()).isEqualTo("https://anna.example");
        assertThat(j.path("singleValueExtendedProperties").get(0).path("id").asText())
                .isEqualTo(ContactMapping.VAULT_ID_PROPERTY);
        assertThat(j.path("singleValueExtendedProperties").get(0).path("value").asText()).isEqualTo("veil-xyz");
        assertThat(ContactMapping.writable(j).has("id")).isFalse();
    }

    @Test
    void unknownFieldsAndOddDatesAreKeptAsTheyCame() throws Exception {
        ObjectNode c = json("{'birthday':'datetime-value','flag':{'flagStatus':'flagged'},'@odata.type':'#microsoft.graph.contact'}");
        VCard card = v1.toVCard(c);
        assertThat(card.getBirthday().getText()).isEqualTo("datetime-value");
        assertThat(card.getExtendedProperties("X-MS-GRAPH-FIELD")).hasSize(1);
        ObjectNode back = beta.toJson(card);
        assertThat(back.has("birthday")).as("not a date: Graph would refuse it, so it is not sent").isFalse();
        assertThat(back.path("flag")).isEqualTo(c.path("flag"));
        assertThat(back.has("@odata.type")).isFalse(); // an annotation, not a field
    }

    /** v1.0's birthday is an Edm.DateTimeOffset (a sealed token is refused with 400) and it has no weddingAnniversary. */
    @Test
    void sealedDatesAndAnniversariesAreNotSentToV1() throws Exception {
        VCard sealed = Ezvcard.parse("""
                BEGIN:VCARD
                VERSION:4.0
                UID:vid1-ABCDEFGHIJKLMNOPQRSTUVWXYZ234567
                FN:n1-token
                BDAY;VALUE=text:b1-0FLOtokenvalue
                ANNIVERSARY:20010505
                END:VCARD
                """).first();
        ObjectNode j = v1.toJson(sealed);
        assertThat(j.has("birthday")).isFalse();
        assertThat(j.has("weddingAnniversary")).isFalse();
        ObjectNode b = beta.toJson(sealed);
        assertThat(b.has("birthday")).isFalse();
        assertThat(b.path("weddingAnniversary").asText()).isEqualTo("2001-05-05");
    }

    /** What Outlook (v1.0) sends comes back exactly: a day at midnight UTC, and a UTC date-time with a time of day. */
    @Test
    void v1BirthdaysComeBackAsGraphSentThem() throws Exception {
        for (String birthday : new String[] {"1980-05-17T00:00:00Z", "1974-07-22T11:59:00Z"}) {
            ObjectNode back = v1.toJson(v1.toVCard(json("{'birthday':'" + birthday + "'}")));
            assertThat(back.path("birthday").asText()).isEqualTo(birthday);
        }
    }

    private static String raw(VCard card, String name) {
        return card.getExtendedProperties(name).get(0).getValue();
    }
}
