//! CSV import: good rows in, bad rows reported by line, no duplicates on re-import.

use std::sync::Arc;

use crm_core::Store;
use crm_core::import::import_contacts;

use crate::support::conformance;

conformance!(
    good_rows_import_and_bad_rows_are_reported,
    importing_again_merges_instead_of_duplicating,
    unreadable_files_are_refused,
    rows_with_the_wrong_number_of_fields_are_refused_whole,
);

const CSV: &str = "\u{feff}Name,Phone,Email,Organisation,Stage,Tags
Ali Rezaei,09121234567;021 4455 6677,ali@example.com,Kaveh Trading,customer,vip;tehran
نگار محمدی,۰۹۳۵۱۲۳۴۵۶۷,,,lead,
,09120000000,,,lead,
Bad Phone,not-a-number,,,lead,
Bad Stage,09127777777,,,partner,
Bad Mail,09128888888,nope,,customer,
No Phone,,,,lead,
\"Nouri, Sima\",00989357778899,,,,\"new,  returning\"
";

async fn good_rows_import_and_bad_rows_are_reported(store: Arc<dyn Store>) {
    let report = import_contacts(store.as_ref(), CSV.as_bytes())
        .await
        .expect("import");
    assert_eq!(report.created, 3, "{report:?}");
    assert_eq!(report.matched, 0);
    let lines: Vec<u64> = report.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![4, 5, 6, 7, 8], "{report:?}");
    let reasons: Vec<&str> = report.errors.iter().map(|e| e.reason.as_str()).collect();
    assert!(reasons[0].contains("name"), "{reasons:?}");
    assert!(reasons[1].contains("not-a-number"), "{reasons:?}");
    assert!(reasons[2].contains("stage"), "{reasons:?}");
    assert!(reasons[3].contains("e-mail"), "{reasons:?}");
    assert!(reasons[4].contains("phone"), "{reasons:?}");

    let ali = store
        .lookup_number("+982144556677", None)
        .await
        .expect("lookup");
    let ali = &ali[0].contact;
    assert_eq!(ali.name, "Ali Rezaei");
    assert_eq!(ali.organisation.as_deref(), Some("Kaveh Trading"));
    assert_eq!(ali.email.as_deref(), Some("ali@example.com"));
    assert_eq!(ali.tags, vec!["vip", "tehran"]);
    assert_eq!(ali.phones.len(), 2);
    let sima = store
        .lookup_number("09357778899", None)
        .await
        .expect("lookup");
    assert_eq!(sima[0].contact.name, "Nouri, Sima");
    assert_eq!(sima[0].contact.tags, vec!["new", "returning"]);
    assert_eq!(
        sima[0].contact.stage,
        crm_core::Stage::Lead,
        "stage defaults to lead"
    );
}

async fn importing_again_merges_instead_of_duplicating(store: Arc<dyn Store>) {
    import_contacts(store.as_ref(), CSV.as_bytes())
        .await
        .expect("import");
    let again = import_contacts(store.as_ref(), CSV.as_bytes())
        .await
        .expect("import");
    assert_eq!(again.created, 0);
    assert_eq!(again.matched, 3);
    assert_eq!(store.list_contacts(0, 100).await.expect("list").len(), 3);

    // Same person (same name, Arabic keyboard letters; a shared number): new number and
    // tag merged. Same number, another name: another contact.
    let more = "name,phone,tags\n\
                نگار محمدي,09351234567;09359990000,returning\n\
                Negar's brother,09351234567,\n";
    let report = import_contacts(store.as_ref(), more.as_bytes())
        .await
        .expect("import");
    assert_eq!((report.created, report.matched), (1, 1), "{report:?}");
    let cards = store
        .lookup_number("09359990000", None)
        .await
        .expect("lookup");
    assert_eq!(cards.len(), 1);
    assert_eq!(cards[0].contact.name, "نگار محمدی", "the name is kept");
    assert_eq!(cards[0].contact.phones.len(), 2);
    assert_eq!(cards[0].contact.tags, vec!["returning"]);
    assert_eq!(
        store
            .lookup_number("09351234567", None)
            .await
            .expect("lookup")
            .len(),
        2
    );
}

async fn unreadable_files_are_refused(store: Arc<dyn Store>) {
    let no_phone_column = import_contacts(store.as_ref(), "who,what\nx,y\n".as_bytes()).await;
    assert!(no_phone_column.is_err());
    let empty = import_contacts(store.as_ref(), "".as_bytes()).await;
    assert!(empty.is_err());
    // A row that is not UTF-8 is reported; the others are imported.
    let mut bytes = b"name,phone\nAli,09121234567\n".to_vec();
    bytes.extend_from_slice(b"\xff\xfe,09120000001\nSara,09120000002\n");
    let report = import_contacts(store.as_ref(), bytes.as_slice())
        .await
        .expect("import");
    assert_eq!(report.created, 2, "{report:?}");
    assert_eq!(
        report.errors.iter().map(|e| e.line).collect::<Vec<_>>(),
        vec![3]
    );
}

async fn rows_with_the_wrong_number_of_fields_are_refused_whole(store: Arc<dyn Store>) {
    // Line 3 has 8 fields under a 6-column header, line 4 has 5, line 5 an unparseable
    // phone: all three refused with their line, nothing of them imported.
    let csv = "name,phone,email,organisation,stage,tags\n\
               Ali,09121234567,,,lead,\n\
               Reza,09121111111,reza@example.com,Acme,lead,vip,extra,more\n\
               Sara,09122222222,,,lead\n\
               Ext,ext-4455,,,lead,\n\
               Mina,09123333333,,,customer,\n";
    let report = import_contacts(store.as_ref(), csv.as_bytes())
        .await
        .expect("import");
    assert_eq!(report.created, 2, "{report:?}");
    let lines: Vec<u64> = report.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![3, 4, 5], "{report:?}");
    assert!(
        report.errors[0].reason.contains("8 fields") && report.errors[0].reason.contains('6'),
        "{report:?}"
    );
    assert!(report.errors[1].reason.contains("5 fields"), "{report:?}");
    assert!(report.errors[2].reason.contains("ext-4455"), "{report:?}");
    for number in ["09121111111", "09122222222", "ext-4455"] {
        let found = store.lookup_number(number, None).await.expect("lookup");
        assert!(found.is_empty(), "{number} was refused: {found:?}");
    }
}
