//! Fuzz target: arbitrary bytes as a contacts CSV through the importer's reader. Any
//! panic is a bug; so is a row accepted without a parsed number, or a row that is
//! neither accepted nor refused.

#![no_main]

use crm_core::import::ContactRows;
use crm_core::phone::PhoneNormalizer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let normalizer = PhoneNormalizer::new("IR");
    let Ok(rows) = ContactRows::new(data, &normalizer) else {
        return;
    };
    for row in rows {
        match row {
            Ok(row) => {
                assert!(!row.contact.name.is_empty());
                assert!(!row.contact.phones.is_empty());
                assert!(row.contact.phones.iter().all(|p| p.number.e164.is_some()));
            }
            Err(refused) => assert!(!refused.reason.is_empty()),
        }
    }
});
