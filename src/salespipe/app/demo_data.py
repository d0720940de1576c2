"""Words for the demo pipeline, in Thai and in English: customers, deals, people, reasons."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoWords:
    customers: tuple[str, ...]
    products: tuple[str, ...]
    contacts: tuple[str, ...]
    owners: tuple[str, ...]
    move_reasons: tuple[str, ...]
    won_reasons: tuple[str, ...]
    lost_reasons: tuple[str, ...]
    reopen_reasons: tuple[str, ...]
    notes: tuple[str, ...]
    next_actions: tuple[str, ...]
    quote_notes: tuple[str, ...]
    tags: tuple[str, ...]


THAI = DemoWords(
    customers=(
        "บริษัท สยามฟู้ดส์ จำกัด",
        "โรงพยาบาลเมืองนนท์",
        "ห้างหุ้นส่วน ช.การช่าง",
        "บริษัท ไทยโลจิสติกส์ จำกัด",
        "โรงแรมริมน้ำเชียงใหม่",
        "มหาวิทยาลัยราชภัฏสวนดุสิต",
        "บริษัท บางกอกพลาสติก จำกัด",
        "ร้านกาแฟดอยช้าง",
        "บริษัท อีสานเกษตรภัณฑ์ จำกัด",
        "สหกรณ์ออมทรัพย์ครูขอนแก่น",
        "บริษัท ภูเก็ตมารีน จำกัด",
        "โรงเรียนอนุบาลดวงใจ",
        "บริษัท กรุงเทพยานยนต์ จำกัด",
        "คลินิกทันตกรรมยิ้มสวย",
        "บริษัท ศรีราชาสตีล จำกัด",
        "เทศบาลนครอุดรธานี",
        "บริษัท โคราชอาหารสัตว์ จำกัด",
        "ห้างสรรพสินค้าเซ็นทรัลพลาซ่า สาขาบางนา",
        "บริษัท ไทยเฮลท์แคร์ จำกัด",
        "บริษัท ลำปางเซรามิก จำกัด",
        "โรงงานน้ำตาลมิตรผล",
        "บริษัท สุราษฎร์ปาล์มออยล์ จำกัด",
        "บริษัท พัทยาบีชรีสอร์ท จำกัด",
        "บริษัท เอเชียซอฟต์ จำกัด",
    ),
    products=(
        "ระบบ ERP",
        "กล้องวงจรปิด",
        "ระบบบัญชีออนไลน์",
        "เครื่องปรับอากาศสำนักงาน",
        "ระบบ POS หน้าร้าน",
        "เซิร์ฟเวอร์และสำรองข้อมูล",
        "อบรมพนักงานขาย",
        "โซลาร์รูฟท็อป",
        "ระบบจองห้องพัก",
        "เครือข่าย Wi-Fi ทั้งอาคาร",
        "สัญญาบำรุงรักษารายปี",
        "ระบบ HR และเงินเดือน",
        "รถยกไฟฟ้า",
        "ป้ายดิจิทัล",
    ),
    contacts=(
        "คุณสมศรี ใจดี",
        "คุณวิชัย ศรีสุข",
        "คุณนภา วงศ์ทอง",
        "คุณประเสริฐ แก้วมณี",
        "คุณกาญจนา พูลสวัสดิ์",
        "คุณอนุชา บุญมา",
        "คุณปิยะนุช ทองคำ",
        "คุณธีรพงษ์ สายสุวรรณ",
    ),
    owners=("สมชาย", "วิภาวี", "ณัฐพล", "อรอุมา", "ธนากร"),
    move_reasons=(
        "ลูกค้าสนใจ ขอข้อมูลเพิ่ม",
        "สาธิตสินค้าแล้ว ลูกค้าพอใจ",
        "ลูกค้าขอใบเสนอราคา",
        "ส่งใบเสนอราคาแล้ว",
        "ลูกค้าขอต่อรองราคา",
        "ผู้บริหารลูกค้าเห็นชอบ",
        "ได้รับใบสั่งซื้อเบื้องต้น",
        "ประชุมกับฝ่ายจัดซื้อแล้ว",
    ),
    won_reasons=(
        "ได้รับใบสั่งซื้อ",
        "เซ็นสัญญาแล้ว",
        "ลูกค้าโอนเงินมัดจำ",
        "ชนะการประกวดราคา",
    ),
    lost_reasons=(
        "ราคาสูงกว่าคู่แข่ง",
        "ลูกค้าเลื่อนโครงการ",
        "ไม่มีงบประมาณปีนี้",
        "เลือกผู้ขายรายเดิม",
        "ติดต่อลูกค้าไม่ได้",
        "สเปกไม่ตรงความต้องการ",
    ),
    reopen_reasons=("ลูกค้าติดต่อกลับมา", "ได้งบประมาณเพิ่ม"),
    notes=(
        "โทรคุยกับลูกค้า นัดประชุมสัปดาห์หน้า",
        "ส่งโบรชัวร์ทางอีเมลแล้ว",
        "ลูกค้าถามเรื่องระยะเวลาส่งมอบ",
        "ไปพบลูกค้าที่สำนักงาน",
        "ลูกค้าขอเปรียบเทียบกับคู่แข่ง",
        "ส่งตัวอย่างสินค้าให้ทดลอง",
        "คุยกับฝ่ายไอทีของลูกค้า",
    ),
    next_actions=(
        "โทรติดตามผล",
        "ส่งใบเสนอราคาฉบับแก้ไข",
        "นัดสาธิตสินค้า",
        "ส่งเอกสารสัญญา",
        "นัดประชุมผู้บริหาร",
        "ติดตามใบสั่งซื้อ",
    ),
    quote_notes=("รวมติดตั้งและอบรม", "ชำระ 30 วัน", "ราคารวม VAT", "ส่งมอบภายใน 45 วัน"),
    tags=("ลูกค้าใหม่", "ต่อสัญญา", "ภาครัฐ", "ด่วน"),
)

ENGLISH = DemoWords(
    customers=(
        "Siam Foods Co., Ltd.",
        "Nonthaburi City Hospital",
        "Chor Karnchang Partnership",
        "Thai Logistics Co.",
        "Riverside Hotel Chiang Mai",
        "Suan Dusit University",
        "Bangkok Plastics Ltd.",
        "Doi Chaang Coffee",
        "Isan Agri Products",
        "Khon Kaen Teachers' Cooperative",
        "Phuket Marine Co.",
        "Duangjai Kindergarten",
        "Krungthep Motors",
        "Smile Dental Clinic",
        "Sriracha Steel Ltd.",
        "Udon Thani Municipality",
        "Korat Feed Mill",
        "Bangna Shopping Plaza",
        "Thai Healthcare Co.",
        "Lampang Ceramics",
        "Mitr Phol Sugar Mill",
        "Surat Palm Oil Co.",
        "Pattaya Beach Resort",
        "Asia Soft Co.",
    ),
    products=(
        "ERP system",
        "CCTV cameras",
        "Online accounting",
        "Office air conditioning",
        "POS for the shop",
        "Servers and backup",
        "Sales team training",
        "Solar rooftop",
        "Room booking system",
        "Building-wide Wi-Fi",
        "Yearly maintenance contract",
        "HR and payroll system",
        "Electric forklifts",
        "Digital signage",
    ),
    contacts=(
        "Somsri Jaidee",
        "Wichai Srisuk",
        "Napa Wongthong",
        "Prasert Kaewmanee",
        "Kanchana Poonsawat",
        "Anucha Boonma",
        "Piyanuch Thongkham",
        "Teerapong Saisuwan",
    ),
    owners=("alice", "bao", "chai", "dara", "emma"),
    move_reasons=(
        "Interested, asked for more information",
        "Demo went well",
        "Customer asked for a quotation",
        "Quotation sent",
        "Customer wants a better price",
        "Customer's management agreed",
        "Got a letter of intent",
        "Met the purchasing team",
    ),
    won_reasons=(
        "Purchase order received",
        "Contract signed",
        "Deposit paid",
        "Won the tender",
    ),
    lost_reasons=(
        "Competitor was cheaper",
        "Project postponed",
        "No budget this year",
        "Stayed with their current vendor",
        "Customer stopped answering",
        "Our spec did not fit",
    ),
    reopen_reasons=("Customer came back", "Budget approved after all"),
    notes=(
        "Called the customer, meeting next week",
        "Emailed the brochure",
        "Customer asked about delivery time",
        "Visited their office",
        "Customer is comparing us with a competitor",
        "Sent a sample to try",
        "Talked to their IT team",
    ),
    next_actions=(
        "Call to follow up",
        "Send the revised quotation",
        "Book a product demo",
        "Send the contract",
        "Meet their management",
        "Chase the purchase order",
    ),
    quote_notes=(
        "Installation and training included",
        "Payment in 30 days",
        "Price includes VAT",
        "Delivery within 45 days",
    ),
    tags=("new-customer", "renewal", "government", "urgent"),
)


def words_for(lang: str) -> DemoWords:
    return THAI if lang == "th" else ENGLISH
