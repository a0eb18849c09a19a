//! The live knowledge base in memory: the shared base, every unit's overrides, and one matcher
//! per distinct chain of overriding units, built on first use and dropped when anything changes.
//!
//! A unit's effective knowledge base is the base with the overrides of every unit on its path
//! applied root first (a province's change reaches all its wards; a ward's change only itself).
//! Units whose path carries no override share the base matcher, so memory grows with the number
//! of units that customise, not with the size of the tree.

use super::store;
use crate::db::{Db, StoreError};
use caunoi_core::kb::{KbEntry, KbOverride, build_matcher, merge_overrides};
use caunoi_core::units::{UnitId, UnitPath};
use caunoi_text::abbrev::Abbreviations;
use caunoi_text::matcher::{Decision, Matcher, MatcherConfig};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// One unit's knowledge base, ready to answer.
pub struct Effective {
    pub entries: Vec<KbEntry>,
    by_id: HashMap<String, usize>,
    pub matcher: Matcher,
}

impl Effective {
    pub fn entry(&self, id: &str) -> Option<&KbEntry> {
        self.by_id.get(id).map(|i| &self.entries[*i])
    }
}

#[derive(Default)]
struct State {
    base: Arc<Vec<KbEntry>>,
    overrides: HashMap<UnitId, Vec<KbOverride>>,
    cache: HashMap<Vec<UnitId>, Arc<Effective>>,
    generation: i64,
}

/// The process's view of the knowledge base.
pub struct KbLive {
    state: RwLock<State>,
    abbreviations: Abbreviations,
    config: MatcherConfig,
}

impl Default for KbLive {
    fn default() -> Self {
        KbLive { state: RwLock::default(), abbreviations: Abbreviations::builtin(), config: MatcherConfig::default() }
    }
}

impl KbLive {
    /// Loads the base and all overrides from the database and drops every built matcher. The
    /// base matcher is built at once, so the first citizen does not wait for it.
    pub async fn reload(&self, db: &Db) -> Result<(), StoreError> {
        let generation = store::generation(db).await?;
        let base = store::base(db).await?;
        let mut overrides: HashMap<UnitId, Vec<KbOverride>> = HashMap::new();
        for (unit, o) in store::all_overrides(db).await? {
            overrides.entry(unit).or_default().push(o);
        }
        let base = Arc::new(base);
        let base_effective = Arc::new(self.build(base.as_ref().clone()));
        let mut cache = HashMap::new();
        cache.insert(Vec::new(), base_effective);
        if let Ok(mut s) = self.state.write() {
            *s = State { base, overrides, cache, generation };
        }
        Ok(())
    }

    /// Reloads when another instance (or the CLI) changed the knowledge base.
    pub async fn refresh_if_changed(&self, db: &Db) -> Result<bool, StoreError> {
        let now = store::generation(db).await?;
        let known = self.state.read().map(|s| s.generation).unwrap_or(i64::MIN);
        if now != known {
            self.reload(db).await?;
            return Ok(true);
        }
        Ok(false)
    }

    fn build(&self, entries: Vec<KbEntry>) -> Effective {
        let matcher = build_matcher(&entries, &self.abbreviations, self.config.clone());
        let by_id = entries.iter().enumerate().map(|(i, e)| (e.id.to_string(), i)).collect();
        Effective { entries, by_id, matcher }
    }

    /// The effective knowledge base of the unit at `path`.
    pub fn effective(&self, path: &UnitPath) -> Arc<Effective> {
        let (chain, base, overrides) = {
            let Ok(s) = self.state.read() else { return Arc::new(self.build(Vec::new())) };
            let chain: Vec<UnitId> = path.ids().into_iter().filter(|u| s.overrides.contains_key(u)).collect();
            if let Some(e) = s.cache.get(&chain) {
                return e.clone();
            }
            let overrides: Vec<KbOverride> =
                chain.iter().flat_map(|u| s.overrides.get(u).cloned().unwrap_or_default()).collect();
            (chain, s.base.clone(), overrides)
        };
        let built = Arc::new(self.build(merge_overrides(&base, &overrides)));
        if let Ok(mut s) = self.state.write() {
            s.cache.insert(chain, built.clone());
        }
        built
    }

    /// What the bot should do with a citizen's message to the unit at `path`.
    pub fn decide(&self, path: &UnitPath, text: &str) -> Decision {
        self.effective(path).matcher.decide(text)
    }

    /// The overrides a unit itself holds (not its ancestors').
    pub fn own_overrides(&self, unit: UnitId) -> Vec<KbOverride> {
        self.state.read().map(|s| s.overrides.get(&unit).cloned().unwrap_or_default()).unwrap_or_default()
    }

    /// The base entry with this id.
    pub fn base_entry(&self, id: &str) -> Option<KbEntry> {
        self.state.read().ok()?.base.iter().find(|e| e.id.as_str() == id).cloned()
    }

    pub fn base_len(&self) -> usize {
        self.state.read().map(|s| s.base.len()).unwrap_or(0)
    }
}

impl crate::app::App {
    /// The live knowledge base; `kb().reload` after opening the database.
    pub fn kb(&self) -> &KbLive {
        self.runtime()
    }
}
