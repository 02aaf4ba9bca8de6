// The WhatsApp channel drives Debian's chromium (WHATSAPP_CHROMIUM_PATH); never download a browser.
module.exports = { skipDownload: true };
