// Demo page entry: hosts <histoscan-detector> with the bundled model and profile.
document.documentElement.dataset.ready = 'true';
