//! A track's audio: held whole in memory, or **streamed** — only the pages of it that play soon are
//! held, in a fixed pool of slots, read ahead of the play position by the host.
//!
//! Streaming is how a session larger than memory plays, as a desktop DAW's disk reader does: the
//! engine plans which pages each track needs next along the play path (from the position, through a
//! loop's wrap), the host reads them from storage into the slots it is given, and a page that has
//! not arrived when it is due plays as silence on that track alone and is counted as an underrun —
//! the audio thread never waits for storage. Pages are of the *source*, so clip edits, fades and
//! gains apply at render time exactly as for audio held whole, and a render over streamed audio
//! equals the render over the same audio held whole, sample for sample.

use core::cell::Cell;

/// Frames per page (per channel). 8192 frames: 0.17 s at 48 kHz, 32 KiB of samples — a page of one
/// channel is one record in the browser's storage, and Chromium keeps a record of 64 KiB or more as
/// a file of its own, which reads several times slower.
pub const PAGE_FRAMES: usize = 1 << 13;

/// After Play or a seek, a streamed session starts sounding once every streamed track holds this
/// many frames from the position (85 ms at 48 kHz; less up to a loop's end): not just the first
/// block, or a position close to the end of a page still held from before would sound at once and
/// run into the next page before it is read. The host reads these pages first, alone.
pub const PRIME_FRAMES: u64 = 4096;

/// A page table entry: no slot.
const ABSENT: u32 = u32::MAX;
/// A page table entry's flag: the slot holds the page (without it, the slot waits for it).
const RESIDENT: u32 = 1 << 31;

/// One track's audio (every channel alike).
#[derive(Clone, Debug, Default)]
pub struct TrackAudio {
    store: Store,
}

#[derive(Clone, Debug)]
enum Store {
    /// Every sample, per channel.
    Whole(Vec<Vec<f32>>),
    Streamed(Paged),
}

impl Default for Store {
    fn default() -> Self {
        Store::Whole(Vec::new())
    }
}

/// Streamed audio: a pool of slots, each holding one page of every channel, and the page table.
#[derive(Clone, Debug)]
pub struct Paged {
    frames: u64,
    channels: usize,
    /// Page number → the slot (`| RESIDENT` once its samples are in), or [`ABSENT`].
    table: Vec<u32>,
    /// Slot → the page it holds or waits for, or [`ABSENT`].
    held: Vec<u32>,
    /// Slot → the planning round that last wanted its page.
    wanted_in: Vec<u32>,
    /// Per channel, `slots × PAGE_FRAMES` samples.
    samples: Vec<Vec<f32>>,
    /// Pages wanted but not held, in the order they are wanted (planning scratch; never grows).
    missing: Vec<u32>,
    /// Slots holding (or awaiting) a page wanted this round: with `missing`, what the round wants.
    held_wanted: usize,
    /// The next of `missing` to give a slot, and the first slot that may be free.
    cursor: usize,
    free: usize,
    /// Set when a block asked for samples of a page not in memory.
    short: Cell<bool>,
    /// Slots for each clip sounding at once: the pool is this times the most that do.
    slots_per_layer: usize,
}

/// A read-only view of one channel of a track's audio, as clips read it.
#[derive(Clone, Copy)]
pub enum SourceView<'a> {
    Whole(&'a [f32]),
    Streamed(&'a Paged, usize),
}

impl<'a> SourceView<'a> {
    /// The source's length in frames.
    pub fn frames(&self) -> u64 {
        match self {
            SourceView::Whole(s) => s.len() as u64,
            SourceView::Streamed(p, _) => p.frames,
        }
    }

    /// The samples from source frame `from` on that lie together in memory, at most `max`:
    /// `Ok` (empty at the source's end), or `Err(n)`: the next `n` frames are not in memory (they
    /// play as silence, and the track's block is marked short).
    #[inline]
    pub fn run(&self, from: u64, max: usize) -> Result<&'a [f32], usize> {
        match *self {
            SourceView::Whole(s) => {
                let start = usize::try_from(from).unwrap_or(usize::MAX).min(s.len());
                Ok(&s[start..start + max.min(s.len() - start)])
            }
            SourceView::Streamed(p, channel) => {
                if from >= p.frames {
                    return Ok(&[]);
                }
                let page = (from / PAGE_FRAMES as u64) as usize;
                let within = (from % PAGE_FRAMES as u64) as usize;
                let n = max.min(PAGE_FRAMES - within).min((p.frames - from) as usize);
                let Some(slot) = p.resident(page) else {
                    p.short.set(true);
                    return Err(n);
                };
                let at = slot * PAGE_FRAMES + within;
                Ok(&p.samples[channel][at..at + n])
            }
        }
    }

    /// Copies source frames from `from` into `dest` (which holds silence): the audio placed at the
    /// session start, without clips.
    #[inline]
    pub fn copy_into(&self, from: u64, dest: &mut [f32]) {
        let mut t = 0;
        while t < dest.len() {
            match self.run(from + t as u64, dest.len() - t) {
                Ok([]) => break,
                Ok(run) => {
                    dest[t..t + run.len()].copy_from_slice(run);
                    t += run.len();
                }
                Err(missing) => t += missing,
            }
        }
    }

    /// Whether source frames `[from, to)` are all in memory.
    pub fn holds(&self, from: u64, to: u64) -> bool {
        match self {
            SourceView::Whole(_) => true,
            SourceView::Streamed(p, _) => {
                let to = to.min(p.frames);
                from >= to || (from / PAGE_FRAMES as u64..=(to - 1) / PAGE_FRAMES as u64).all(|page| p.resident(page as usize).is_some())
            }
        }
    }
}

impl TrackAudio {
    /// Audio held whole: one buffer per channel, all of the same length.
    pub fn whole(channels: Vec<Vec<f32>>) -> TrackAudio {
        TrackAudio { store: Store::Whole(channels) }
    }

    /// Streamed audio of `channels` channels and `frames` frames, with a pool of `slots` pages
    /// (allocated here, on the control side), none of them read yet.
    pub fn streamed(channels: usize, frames: u64, slots: usize) -> TrackAudio {
        let pages = frames.div_ceil(PAGE_FRAMES as u64) as usize;
        let slots_per_layer = slots;
        let slots = slots.clamp(1, (ABSENT >> 1) as usize).min(pages.max(1));
        TrackAudio {
            store: Store::Streamed(Paged {
                frames,
                channels,
                table: vec![ABSENT; pages],
                held: vec![ABSENT; slots],
                wanted_in: vec![0; slots],
                samples: vec![vec![0.0; slots * PAGE_FRAMES]; channels],
                missing: Vec::with_capacity(slots),
                held_wanted: 0,
                cursor: 0,
                free: 0,
                short: Cell::new(false),
                slots_per_layer,
            }),
        }
    }

    pub fn frames(&self) -> u64 {
        match &self.store {
            Store::Whole(c) => c.first().map_or(0, Vec::len) as u64,
            Store::Streamed(p) => p.frames,
        }
    }

    pub fn channel_count(&self) -> usize {
        match &self.store {
            Store::Whole(c) => c.len(),
            Store::Streamed(p) => p.channels,
        }
    }

    /// Channel `c` (a mono track's one channel for every `c`); `None` for a strip without audio.
    pub fn view(&self, c: usize) -> Option<SourceView<'_>> {
        match &self.store {
            Store::Whole(channels) => channels.get(c).or(channels.first()).map(|s| SourceView::Whole(s)),
            Store::Streamed(p) if p.channels > 0 => Some(SourceView::Streamed(p, c.min(p.channels - 1))),
            Store::Streamed(_) => None,
        }
    }

    /// The channels held whole, to fill or overwrite in place; `None` when streamed.
    pub fn whole_mut(&mut self) -> Option<&mut Vec<Vec<f32>>> {
        match &mut self.store {
            Store::Whole(c) => Some(c),
            Store::Streamed(_) => None,
        }
    }

    pub fn streamed_mut(&mut self) -> Option<&mut Paged> {
        match &mut self.store {
            Store::Streamed(p) => Some(p),
            Store::Whole(_) => None,
        }
    }

    pub fn streamed_ref(&self) -> Option<&Paged> {
        match &self.store {
            Store::Streamed(p) => Some(p),
            Store::Whole(_) => None,
        }
    }
}

impl Paged {
    pub fn frames(&self) -> u64 {
        self.frames
    }

    pub fn slots(&self) -> usize {
        self.held.len()
    }

    /// Control side: a pool for `layers` clips sounding at once — grown when it is smaller, never
    /// shrunk (the pages held stay in their slots; allocates).
    pub fn fit_layers(&mut self, layers: usize) {
        let slots = self.slots_per_layer.saturating_mul(layers.max(1)).clamp(1, (ABSENT >> 1) as usize).min(self.table.len().max(1));
        if slots <= self.held.len() {
            return;
        }
        self.held.resize(slots, ABSENT);
        self.wanted_in.resize(slots, 0);
        for channel in &mut self.samples {
            channel.resize(slots * PAGE_FRAMES, 0.0);
        }
        self.missing.reserve_exact(slots.saturating_sub(self.missing.len()));
    }

    /// Takes the "a block found a page missing" mark.
    pub fn take_short(&self) -> bool {
        self.short.replace(false)
    }

    /// The slot holding `page`, once its samples are in.
    #[inline]
    fn resident(&self, page: usize) -> Option<usize> {
        let entry = self.table[page];
        (entry != ABSENT && entry & RESIDENT != 0).then_some((entry & !RESIDENT) as usize)
    }

    /// Audio side: starts a planning round (its number, never 0, is passed to `want` and
    /// `assign_next`): nothing is wanted yet.
    pub(crate) fn begin_round(&mut self) {
        self.missing.clear();
        self.held_wanted = 0;
        self.cursor = 0;
        self.free = 0;
    }

    /// Audio side: within planning round `round`, wants `page` (pages are wanted in the order they
    /// will play). `false` once the pool is fully wanted: later pages wait for the next round.
    pub(crate) fn want(&mut self, page: u64, round: u32) -> bool {
        let Some(&entry) = self.table.get(page as usize) else { return true };
        if entry != ABSENT {
            let slot = (entry & !RESIDENT) as usize;
            if self.wanted_in[slot] != round {
                self.wanted_in[slot] = round;
                self.held_wanted += 1;
            }
            return true;
        }
        if self.missing.contains(&(page as u32)) {
            return true;
        }
        if self.held_wanted + self.missing.len() >= self.held.len() {
            return false;
        }
        self.missing.push(page as u32);
        true
    }

    /// Audio side: gives the next page wanted this round but not held a slot no page of this
    /// round wants, and returns it (the host reads the page into [`Paged::slot_mut`] and calls
    /// [`Paged::arrived`]); `None` when every wanted page has a slot, or no slot is left.
    pub(crate) fn assign_next(&mut self, round: u32) -> Option<u32> {
        let page = *self.missing.get(self.cursor)?;
        while self.free < self.held.len() && self.wanted_in[self.free] == round {
            self.free += 1;
        }
        let slot = self.free;
        if slot == self.held.len() {
            self.cursor = self.missing.len();
            return None;
        }
        let old = self.held[slot];
        if old != ABSENT {
            self.table[old as usize] = ABSENT;
        }
        self.held[slot] = page;
        self.table[page as usize] = slot as u32;
        self.wanted_in[slot] = round;
        self.cursor += 1;
        Some(page)
    }

    /// Control or audio side: the slot waiting for `page`, to write its samples into (`channel`'s
    /// [`PAGE_FRAMES`], the last page's tail past the source's end ignored); `None` if the page is
    /// no longer awaited (the play position moved on) — a late read is dropped.
    pub fn slot_mut(&mut self, page: u32, channel: usize) -> Option<&mut [f32]> {
        let entry = *self.table.get(page as usize)?;
        if entry == ABSENT || entry & RESIDENT != 0 || channel >= self.channels {
            return None;
        }
        let at = entry as usize * PAGE_FRAMES;
        Some(&mut self.samples[channel][at..at + PAGE_FRAMES])
    }

    /// The page's samples are in: it plays from now on.
    pub fn arrived(&mut self, page: u32) -> bool {
        match self.table.get_mut(page as usize) {
            Some(entry) if *entry != ABSENT && *entry & RESIDENT == 0 => {
                *entry |= RESIDENT;
                true
            }
            _ => false,
        }
    }

    /// Forgets the pages asked for and not arrived (their reads were lost: the host's reader
    /// changed): they are asked for again at the next planning round.
    pub fn forget_awaited(&mut self) {
        for (slot, page) in self.held.iter_mut().enumerate() {
            if *page != ABSENT && self.table[*page as usize] == slot as u32 {
                self.table[*page as usize] = ABSENT;
                *page = ABSENT;
            }
        }
    }

    /// Pages held or awaited.
    pub fn pages_in_pool(&self) -> usize {
        self.held.iter().filter(|&&p| p != ABSENT).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_plays_only_once_it_has_arrived() {
        let mut audio = TrackAudio::streamed(1, 3 * PAGE_FRAMES as u64 + 10, 2);
        let p = audio.streamed_mut().unwrap();
        p.begin_round();
        assert!(p.want(1, 1));
        let mut asked = vec![];
        while let Some(page) = p.assign_next(1) {
            asked.push(page);
        }
        assert_eq!(asked, [1]);
        let view = audio.view(0).unwrap();
        assert_eq!(view.run(PAGE_FRAMES as u64 + 5, 100), Err(100));
        let p = audio.streamed_mut().unwrap();
        assert!(p.take_short());
        p.slot_mut(1, 0).unwrap().iter_mut().enumerate().for_each(|(i, x)| *x = i as f32);
        assert!(p.arrived(1));
        let view = audio.view(0).unwrap();
        assert_eq!(view.run(PAGE_FRAMES as u64 + 5, 3), Ok(&[5.0, 6.0, 7.0][..]));
        // A run stops at the page's end, and at the source's.
        assert_eq!(view.run(2 * PAGE_FRAMES as u64 - 2, 100).unwrap().len(), 2);
        assert_eq!(view.run(3 * PAGE_FRAMES as u64 + 8, 100), Err(2));
        assert_eq!(view.run(3 * PAGE_FRAMES as u64 + 10, 100), Ok(&[][..]));
    }

    #[test]
    fn wanted_pages_keep_their_slots_and_the_rest_are_reused() {
        let mut audio = TrackAudio::streamed(2, 10 * PAGE_FRAMES as u64, 3);
        let p = audio.streamed_mut().unwrap();
        let mut asked = vec![];
        p.begin_round();
        for page in [0, 1, 2, 3] {
            p.want(page, 1);
        }
        while let Some(page) = p.assign_next(1) {
            asked.push(page);
        }
        assert_eq!(asked, [0, 1, 2], "three slots: the fourth page waits");
        for page in [0, 1, 2] {
            p.slot_mut(page, 1).unwrap()[0] = page as f32;
            p.arrived(page);
        }
        // Moving on: 0 is no longer wanted, so 3 takes its slot; 1 and 2 stay where they are.
        asked.clear();
        p.begin_round();
        for page in [1, 2, 3] {
            p.want(page, 2);
        }
        while let Some(page) = p.assign_next(2) {
            asked.push(page);
        }
        assert_eq!(asked, [3]);
        assert!(p.slot_mut(0, 0).is_none(), "page 0 is gone: a late read of it is dropped");
        assert_eq!(audio.view(1).unwrap().run(2 * PAGE_FRAMES as u64, 1), Ok(&[2.0][..]));
        assert_eq!(audio.view(1).unwrap().run(0, 1), Err(1));
    }

    #[test]
    fn reads_lost_are_asked_for_again_and_pages_in_stay() {
        let mut audio = TrackAudio::streamed(1, 4 * PAGE_FRAMES as u64, 4);
        let p = audio.streamed_mut().unwrap();
        p.begin_round();
        p.want(0, 1);
        p.want(1, 1);
        assert_eq!((p.assign_next(1), p.assign_next(1)), (Some(0), Some(1)));
        p.arrived(0);
        p.forget_awaited();
        assert!(p.slot_mut(1, 0).is_none(), "page 1 is no longer awaited");
        p.begin_round();
        p.want(0, 2);
        p.want(1, 2);
        assert_eq!((p.assign_next(2), p.assign_next(2)), (Some(1), None), "only the lost read is asked again");
        assert_eq!(p.pages_in_pool(), 2);
    }
}
