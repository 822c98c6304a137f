// Every string the interface shows, in English and Chinese.

export const strings = {
  en: {
    skipToInput: 'Skip to the question box', menu: 'Menu', views: 'Views', chat: 'Chat', documents: 'Documents',
    collection: 'Collection', defaultCollection: 'default', otherLanguage: '中文', switchLanguage: 'Switch to Chinese',
    apiKey: 'API key', conversations: 'Conversations', newChat: 'New chat', pastSessions: 'Past conversations',
    noSessions: 'No conversations yet.', messages: 'Messages',
    welcome: 'Ask a question about your documents. Answers cite their sources.',
    question: 'Question', askPlaceholder: 'Ask a question…', send: 'Send', sources: 'Sources',
    sourcesEmpty: 'Click a citation marker to see the passage in its document.',
    dropHint: 'Drop files here or choose them (PDF, DOCX, HTML, Markdown, text, CSV).', chooseFiles: 'Choose files',
    name: 'Name', type: 'Type', status: 'Status', size: 'Size', actions: 'Actions',
    noDocuments: 'No documents in this collection.', apiKeyTitle: 'API key required',
    apiKeyHelp: 'This server needs an API key. It is kept in this tab only (sessionStorage).',
    save: 'Save', cancel: 'Cancel', delete: 'Delete', you: 'You', assistant: 'ragline',
    thinking: 'Searching the documents…', noAnswer: 'No passage answers this question.',
    trace: 'Trace: {n} steps, {ms} ms', step: 'Step', duration: 'Duration', detail: 'Detail', items: '{n} items', stop: 'Stop', stopped: 'Stopped.',
    helpful: 'Helpful', notHelpful: 'Not helpful', commentPlaceholder: 'Optional comment', sendFeedback: 'Send feedback',
    feedbackThanks: 'Thanks for the feedback.', feedbackFailed: 'Feedback not sent: {error}',
    citation: 'Source {n}', page: 'page {n}', openSource: 'Show source {n}', pageImage: 'Page {n} of {doc}, passage marked',
    loading: 'Loading…', indexed: 'indexed, {n} chunks', uploading: 'uploading {pct}%', processing: 'processing…',
    added: 'added', replaced: 'replaced', unchanged: 'unchanged', failed: 'failed', confirmDelete: 'Delete “{name}” and all its passages?',
    deleted: 'Deleted {name}.', error: 'Error: {error}', keyRejected: 'The key was rejected.',
    session: '{n} turns', session1: '1 turn', indexed1: 'indexed, 1 chunk',
    deleteSession: 'Delete conversation', confirmDeleteSession: 'Delete the conversation “{title}”?', tokens: '{n} model tokens', enlargePage: 'Enlarge or shrink the page', newCollectionOption: '+ New collection…', newCollection: 'New collection',
    collectionName: 'Name (letters, digits, “_”, “.” or “-”)', create: 'Create', untitled: 'Untitled', language: 'Language', contextBefore: '…', contextAfter: '…',
  },
  zh: {
    skipToInput: '跳到提问框', menu: '菜单', views: '视图', chat: '对话', documents: '文档',
    collection: '集合', defaultCollection: '默认', otherLanguage: 'English', switchLanguage: '切换到英文',
    apiKey: 'API 密钥', conversations: '会话', newChat: '新对话', pastSessions: '历史会话',
    noSessions: '还没有会话。', messages: '消息',
    welcome: '就您的文档提问。回答会注明出处。',
    question: '问题', askPlaceholder: '输入问题…', send: '发送', sources: '来源',
    sourcesEmpty: '点击引用标记，查看该段落在文档中的位置。',
    dropHint: '将文件拖放到这里，或选择文件（PDF、DOCX、HTML、Markdown、文本、CSV）。', chooseFiles: '选择文件',
    name: '名称', type: '类型', status: '状态', size: '大小', actions: '操作',
    noDocuments: '此集合中没有文档。', apiKeyTitle: '需要 API 密钥',
    apiKeyHelp: '此服务器需要 API 密钥。密钥只保存在当前标签页（sessionStorage）。',
    save: '保存', cancel: '取消', delete: '删除', you: '你', assistant: 'ragline',
    thinking: '正在检索文档…', noAnswer: '没有段落能回答这个问题。',
    trace: '追踪：{n} 个步骤，{ms} 毫秒', step: '步骤', duration: '耗时', detail: '详情', items: '{n} 项', stop: '停止', stopped: '已停止。',
    helpful: '有帮助', notHelpful: '没有帮助', commentPlaceholder: '可选评论', sendFeedback: '提交反馈',
    feedbackThanks: '感谢您的反馈。', feedbackFailed: '反馈未发送：{error}',
    citation: '来源 {n}', page: '第 {n} 页', openSource: '查看来源 {n}', pageImage: '{doc} 第 {n} 页，已标出段落',
    loading: '加载中…', indexed: '已索引，{n} 个片段', uploading: '上传中 {pct}%', processing: '处理中…',
    added: '已添加', replaced: '已替换', unchanged: '未变化', failed: '失败', confirmDelete: '删除“{name}”及其全部段落？',
    deleted: '已删除 {name}。', error: '错误：{error}', keyRejected: '密钥被拒绝。',
    session: '{n} 轮', session1: '1 轮', indexed1: '已索引，1 个片段',
    deleteSession: '删除会话', confirmDeleteSession: '删除会话“{title}”？', tokens: '模型词元 {n} 个', enlargePage: '放大或缩小页面', newCollectionOption: '+ 新建集合…', newCollection: '新建集合',
    collectionName: '名称（字母、数字、“_”、“.” 或 “-”）', create: '创建', untitled: '无标题', language: '语言', contextBefore: '…', contextAfter: '…',
  },
};

const stored = () => { try { return localStorage.getItem('ragline.lang'); } catch { return null; } };

let current = stored() || ((navigator.languages?.[0] || navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en');
if (!strings[current]) current = 'en';

/** The language in use: "en" or "zh". */
export const lang = () => current;

/** Switches the language and remembers the choice. */
export function setLang(l) {
  current = strings[l] ? l : 'en';
  try { localStorage.setItem('ragline.lang', current); } catch { /* private mode */ }
}

/** Returns the string key in the current language, with {name} filled in. */
export function t(key, vars = {}) {
  const s = strings[current][key] ?? strings.en[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
}

/** Translates the static page: text, labels and placeholders. */
export function translatePage(root = document) {
  document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.setAttribute('placeholder', t(el.dataset.i18nPlaceholder));
}
