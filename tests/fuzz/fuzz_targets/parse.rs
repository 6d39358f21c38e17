//! libFuzzer entry point for [`xen_channel_fuzz::parse`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| xen_channel_fuzz::parse::run(data));
