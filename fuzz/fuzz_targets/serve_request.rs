#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| purchase_lab::fuzzing::serve_request(data));
