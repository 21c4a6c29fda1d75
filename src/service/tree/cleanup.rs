//! Removing a deleted token's descendants from storage, in bounded steps.
//!
//! A delete revokes the whole subtree at once (its root's index entry is
//! gone, and every descendant authenticates only while all its ancestors are
//! indexed), so clean-up is only storage hygiene, and may take its time. It
//! walks the subtree breadth first through the child markers, a page of
//! children at a time, and each [`step`] stays within a budget of storage
//! operations, because the platform allows at most 1,000 per invocation. The
//! walk's state lives in a [`CleanupQueue`] (the tree's Durable Object), so a
//! step that fails is simply run again: every removal is idempotent, and a
//! child queued twice is walked twice to no effect.

use serde::{Deserialize, Serialize};

use crate::service::store::{
    ops_to_remove_index, ops_to_remove_record, KeyValue, StoreError, TokenStore, MAX_BULK_KEYS, OPS_TO_BURY,
};

/// The operations one step may make: below the platform's 1,000 per
/// invocation, leaving room for the invocation's own.
pub const OPS_PER_STEP: usize = 900;

/// A token whose children are still stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// The token's id.
    pub parent: String,
    /// How many ancestors it has: its children have one more, and a marker
    /// under each to remove.
    #[serde(default)]
    pub depth: usize,
    /// Where listing its children goes on; `None` to start from the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// The walk's state: tokens whose children are still to be removed, in
/// order. Each call is durable before it returns.
#[allow(async_fn_in_trait)]
pub trait CleanupQueue {
    /// The first pending token, if any.
    async fn front(&self) -> Result<Option<Pending>, StoreError>;
    /// Adds `parents`, each with its depth, at the back.
    async fn push(&self, parents: &[(String, usize)]) -> Result<(), StoreError>;
    /// Sets where listing the first pending token's children goes on.
    async fn advance(&self, cursor: String) -> Result<(), StoreError>;
    /// Removes the first pending token: all its children are gone.
    async fn pop(&self) -> Result<(), StoreError>;
}

/// What a step left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Nothing is pending.
    Done,
    /// Work remains for another step.
    More,
}

/// What one step did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepReport {
    /// Whether work remains.
    pub progress: Progress,
    /// Descendants removed.
    pub removed: usize,
    /// Storage operations made (at most the budget).
    pub ops: usize,
}

/// Removes as many pending descendants as `budget` storage operations of
/// `kv` allow, leaving each a tombstone (at `now_ms`) that keeps its audit
/// trail findable.
pub async fn step<K: KeyValue, Q: CleanupQueue>(
    kv: &K,
    queue: &Q,
    budget: usize,
    now_ms: u64,
) -> Result<StepReport, StoreError> {
    let tokens = TokenStore::new(kv);
    let mut report = StepReport { progress: Progress::More, removed: 0, ops: 0 };
    loop {
        let Some(pending) = queue.front().await? else {
            report.progress = Progress::Done;
            return Ok(report);
        };
        let batch = affordable_children(budget - report.ops, pending.depth + 1);
        if batch == 0 {
            return Ok(report);
        }
        let page = tokens.children(&pending.parent, pending.cursor.as_deref(), batch).await?;
        report.ops += 1;
        if !page.keys.is_empty() {
            let entries = tokens.indexes(&page.keys).await?;
            report.ops += 1;
            let children: Vec<(String, usize)> =
                page.keys.iter().map(|child| (child.clone(), pending.depth + 1)).collect();
            queue.push(&children).await?;
            for (child, entry) in page.keys.iter().zip(entries) {
                report.ops += match entry {
                    Some(entry) => {
                        tokens.remove_record(&entry).await?;
                        tokens.bury(&entry.record.path(), now_ms).await?;
                        tokens.remove_index(child, &entry).await?;
                        ops_to_remove_record(&entry)
                            + OPS_TO_BURY
                            + ops_to_remove_index(entry.ancestors().len())
                    }
                    None => {
                        tokens.remove_child_marker(&pending.parent, child).await?;
                        1
                    }
                };
                report.removed += 1;
            }
        }
        match page.cursor {
            Some(cursor) => queue.advance(cursor).await?,
            None => queue.pop().await?,
        }
    }
}

/// How many children with `depth` ancestors one list-and-remove round may
/// take within `budget` operations: one list, one bulk read, and at most the
/// removal of a record, a retired record, a tombstone and its index entry
/// and markers each.
fn affordable_children(budget: usize, depth: usize) -> usize {
    let per_child = 2 + OPS_TO_BURY + ops_to_remove_index(depth);
    budget.saturating_sub(2).div_euclid(per_child).min(MAX_BULK_KEYS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::{
        records::TokenRecord,
        store::KeyValue,
        tests::memory::{MemoryKv, MemoryQueue},
    };

    /// A subtree under `root`: `fanout` children, each with `fanout`
    /// grandchildren, stored as the service stores them.
    fn stored_subtree(kv: &MemoryKv, root: &str, fanout: usize) -> usize {
        let tokens = TokenStore::new(kv);
        let mut count = 0;
        let mut add = |ancestors: &[&str], id: String| {
            let ancestors: Vec<String> = ancestors.iter().map(|a| a.to_string()).collect();
            let record = TokenRecord { id: id.clone(), ancestors, ..TokenRecord::default() };
            pollster::block_on(tokens.insert(&format!("k{id}"), &record, 0)).unwrap();
            count += 1;
            id
        };
        for i in 0..fanout {
            let child = add(&[root], format!("{root}-{i}"));
            for j in 0..fanout {
                add(&[root, &child], format!("{child}-{j}"));
            }
        }
        count
    }

    /// The keys left beside the tombstones.
    fn kept(kv: &MemoryKv) -> Vec<String> {
        kv.keys().into_iter().filter(|key| !key.starts_with("x:")).collect()
    }

    fn run_to_end(kv: &MemoryKv, queue: &MemoryQueue) -> Vec<StepReport> {
        let mut reports = Vec::new();
        loop {
            let before = kv.operations();
            let report = pollster::block_on(step(kv, queue, OPS_PER_STEP, 0)).unwrap();
            assert_eq!(kv.operations() - before, report.ops, "the report counts every operation");
            reports.push(report);
            if report.progress == Progress::Done {
                return reports;
            }
        }
    }

    #[test]
    fn a_large_subtree_is_removed_in_steps_within_the_budget() {
        let kv = MemoryKv::default();
        let stored = stored_subtree(&kv, "R", 40);
        pollster::block_on(kv.put("i:other", "{\"key\":\"x\"}", None)).unwrap();
        let queue = MemoryQueue::default();
        pollster::block_on(queue.push(&[("R".to_string(), 0)])).unwrap();
        let reports = run_to_end(&kv, &queue);
        assert!(reports.len() > 1, "{} descendants need more than one step", stored);
        assert!(reports.iter().all(|report| report.ops <= OPS_PER_STEP), "{reports:?}");
        assert_eq!(reports.iter().map(|report| report.removed).sum::<usize>(), stored);
        assert_eq!(kept(&kv), ["i:other"], "only the unrelated token remains");
        let tombstones = kv.keys().iter().filter(|key| key.starts_with("x:")).count();
        assert_eq!(tombstones, stored, "each removed token left its tombstone");
    }

    #[test]
    fn a_failed_step_is_resumed_by_the_next_and_the_walk_finishes() {
        let kv = MemoryKv::default();
        stored_subtree(&kv, "R", 12);
        let queue = MemoryQueue::default();
        pollster::block_on(queue.push(&[("R".to_string(), 0)])).unwrap();
        kv.fail_after(25);
        assert!(
            pollster::block_on(step(&kv, &queue, OPS_PER_STEP, 0)).is_err(),
            "the failure stops the step"
        );
        kv.heal();
        run_to_end(&kv, &queue);
        assert!(kept(&kv).is_empty(), "{:?}", kv.keys());
    }

    #[test]
    fn children_already_gone_leave_only_their_markers_to_remove() {
        let kv = MemoryKv::default();
        pollster::block_on(kv.put("c:R:expired", "", None)).unwrap();
        let queue = MemoryQueue::default();
        pollster::block_on(queue.push(&[("R".to_string(), 0)])).unwrap();
        run_to_end(&kv, &queue);
        assert!(kv.keys().is_empty());
    }

    #[test]
    fn a_round_never_exceeds_what_is_left_of_the_budget() {
        assert_eq!(affordable_children(OPS_PER_STEP, 1), MAX_BULK_KEYS);
        assert_eq!(
            affordable_children(2 + 7 * 7 + 2, 1),
            7,
            "record, retired record, tombstone, last use, index, two markers"
        );
        assert_eq!(affordable_children(2 + 38 * 5, 32), 5, "32 markers under ancestors");
        assert_eq!(affordable_children(4, 1), 0);
    }
}
