//! The content kinds: the one list the plan, the link targets, the render and the search
//! index are derived from.

use crate::kind::Kind;
use crate::model::Site;

/// The content kinds, in the order their outputs claim paths. A kind is registered by one line
/// here; the plan and the link targets are derived from this list.
pub(crate) fn kinds(site: &Site) -> Vec<Box<dyn Kind + '_>> {
    vec![
        Box::new(crate::artifact::site::Artifacts::new(
            &site.artifacts,
            Box::new(|| crate::ledger::site::status_histories(&site.ledgers)),
        )),
        Box::new(crate::ledger::site::Ledgers(&site.ledgers)),
        Box::new(crate::failure::site::Reports::new(
            &site.failures,
            site.keeps_records(),
        )),
    ]
}
